"""``atomic_write``: replace a file with complete new content, or leave it as it was.

The content is written to a temporary file beside the target, named
``.<name>-<random>.tmp``, flushed and fsynced, given the permissions a new file
gets under the user's umask (``0666 & ~umask``, as ``open`` would), moved onto the
target with ``os.replace`` and the directory fsynced, so that after a crash the
target holds either its previous or its complete new content. A temporary file
left behind by a killed process is removed by ``remove_stale_temporaries``.
"""
import glob
import os
import tempfile

TEMPORARY_SUFFIX = ".tmp"


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_directory(directory):
    if not hasattr(os, "O_DIRECTORY"):
        return
    handle = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def atomic_write(path, write):
    """Call ``write(file)`` on a temporary binary file beside ``path``, then move it onto
    ``path``; on any error ``path`` is left as it was and the temporary file is removed."""
    path = os.fspath(path)
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}-",
                                         suffix=TEMPORARY_SUFFIX)
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fchmod(file.fileno(), 0o666 & ~_umask())
            os.fsync(file.fileno())
        os.replace(temporary, path)
        _fsync_directory(directory)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def remove_stale_temporaries(directory):
    """Remove the temporary files ``atomic_write`` left in ``directory``; returns their paths."""
    stale = sorted(glob.glob(os.path.join(glob.escape(os.fspath(directory)),
                                          f".*-*{TEMPORARY_SUFFIX}")))
    for path in stale:
        os.remove(path)
    return stale
