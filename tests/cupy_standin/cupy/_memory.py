"""A model of CuPy's device memory pool for the stand-in.

Every device array that owns its buffer is an allocation of ``nbytes``. A freed
buffer stays cached in the pool (as CuPy's ``MemoryPool`` keeps freed blocks) and
serves later allocations; ``free_all_blocks()`` releases the cache. So
``used_bytes()`` is the bytes of live arrays and ``total_bytes()`` is used plus
cached, the high-water mark of ``used_bytes()`` since the last release.
"""
import threading
import weakref

_lock = threading.Lock()


class MemoryPool:
    """The subset of ``cupy.cuda.MemoryPool`` that minigrad uses."""

    def __init__(self):
        self._used = 0
        self._cached = 0
        self._live = set()

    def track(self, host_array):
        """Count ``host_array`` (the buffer behind a device array) until it is collected."""
        if host_array.base is not None or id(host_array) in self._live:
            return
        size = int(host_array.nbytes)
        with _lock:
            self._live.add(id(host_array))
            reused = min(self._cached, size)
            self._cached -= reused
            self._used += size
        weakref.finalize(host_array, self._release, id(host_array), size)

    def _release(self, key, size):
        with _lock:
            self._live.discard(key)
            self._used -= size
            self._cached += size

    def used_bytes(self):
        return self._used

    def free_bytes(self):
        return self._cached

    def total_bytes(self):
        return self._used + self._cached

    def free_all_blocks(self):
        with _lock:
            self._cached = 0


_default_pool = MemoryPool()


def get_default_memory_pool():
    """The pool that every stand-in device array is allocated from."""
    return _default_pool
