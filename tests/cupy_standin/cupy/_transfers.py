"""Counters of explicit host↔device copies made through the stand-in.

``host_to_device`` counts host data turned into a device array (``cupy.asarray``
or ``cupy.array`` of NumPy data, lists or scalars, host index arrays, host values
assigned into a device array); ``device_to_host`` counts device data read on the
host (``.get()``, ``cupy.asnumpy``, ``float``/``int``/``bool``/``.item()``/
``.tolist()``, printing). ``reset()`` zeroes both.
"""
import contextlib
import threading

_lock = threading.Lock()
_counts = {"host_to_device": 0, "device_to_host": 0}


def record(direction):
    with _lock:
        _counts[direction] += 1


def counts():
    """A copy of the counters: ``{"host_to_device": n, "device_to_host": m}``."""
    with _lock:
        return dict(_counts)


def reset():
    """Set both counters to zero."""
    with _lock:
        for key in _counts:
            _counts[key] = 0


@contextlib.contextmanager
def counting():
    """Reset the counters, yield a dict that holds the counts made inside the block on exit."""
    reset()
    result = {}
    try:
        yield result
    finally:
        result.update(counts())
