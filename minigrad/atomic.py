"""``atomic_write``: replace a file with complete new content, or leave it as it was.

The content is written to a temporary file beside the target, named
``.<name>-<8 hex digits>.tmp`` (created with ``O_EXCL``), flushed and fsynced, given the permissions a new file
gets under the user's umask (``0666 & ~umask``, as ``open`` would), moved onto the
target with ``os.replace`` and the directory fsynced, so that after a crash the
target holds either its previous or its complete new content. A temporary file
left behind by a killed process is removed by ``remove_stale_temporaries(directory,
targets)``, which recognises exactly the names ``atomic_write`` gives for those targets
and leaves every other file alone (a user's ``.my-notes.tmp`` stays).
"""
import contextlib
import os
import re
import secrets

TEMPORARY_SUFFIX = ".tmp"
RANDOM_HEX_DIGITS = 8


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


def _temporary_name(target):
    """A fresh name ``.<target>-<8 hex digits>.tmp`` for a temporary file of ``target``."""
    return f".{target}-{secrets.token_hex(RANDOM_HEX_DIGITS // 2)}{TEMPORARY_SUFFIX}"


def _create_temporary(directory, target):
    """``(handle, path)`` of a new, empty temporary file of ``target`` in ``directory``."""
    while True:
        path = os.path.join(directory, _temporary_name(target))
        try:
            return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600), path
        except FileExistsError:
            continue


@contextlib.contextmanager
def naming_the_file(path):
    """Re-raise an ``OSError`` that names no file (a full disk: ``[Errno 28] No space left on
    device``) as the same error naming ``path``."""
    try:
        yield
    except OSError as error:
        if error.filename is not None or error.errno is None:
            raise
        raise OSError(error.errno, error.strerror, os.fspath(path)) from error


def atomic_write(path, write):
    """Call ``write(file)`` on a temporary binary file beside ``path``, then move it onto
    ``path``; on any error ``path`` is left as it was and the temporary file is removed. An
    ``OSError`` names ``path``."""
    path = os.fspath(path)
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    handle, temporary = _create_temporary(directory, os.path.basename(path))
    try:
        with naming_the_file(path), os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fchmod(file.fileno(), 0o666 & ~_umask())
            os.fsync(file.fileno())
        os.replace(temporary, path)
        _fsync_directory(directory)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def remove_stale_temporaries(directory, targets):
    """Remove the temporary files ``atomic_write`` left in ``directory`` for the file names
    ``targets``; returns their paths. Other files, dot-files included, are kept."""
    names = "|".join(re.escape(os.path.basename(target)) for target in targets)
    pattern = re.compile(rf"\.(?:{names})-[0-9a-f]{{{RANDOM_HEX_DIGITS}}}"
                         + re.escape(TEMPORARY_SUFFIX))
    stale = sorted(os.path.join(os.fspath(directory), name) for name in os.listdir(directory)
                   if names and pattern.fullmatch(name))
    for path in stale:
        os.remove(path)
    return stale
