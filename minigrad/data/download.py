"""Downloads verified by MD5, written atomically.

``download(urls, destination, md5)`` tries each URL in turn, streams the body
into a temporary file beside ``destination``, and moves it into place with
``os.replace`` only when its MD5 digest equals ``md5``; a failed or corrupt
download leaves nothing behind. ``fetch`` (``urllib``; any scheme it knows,
including ``file://``) is the only function that touches the network.
"""
import hashlib
import os
import tempfile
import urllib.request

CHUNK_BYTES = 1 << 20


class ChecksumError(OSError):
    """A downloaded file's MD5 digest differs from the published one."""


def md5sum(path):
    """The hexadecimal MD5 digest of the file at ``path``."""
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(url, file, timeout=60):
    """Copy the body of ``url`` into the open binary ``file``."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        for chunk in iter(lambda: response.read(CHUNK_BYTES), b""):
            file.write(chunk)


def download(urls, destination, md5):
    """Fetch the first of ``urls`` that succeeds to ``destination``, checking its MD5.

    Raises ``OSError`` listing every URL tried, with its network error or
    ``ChecksumError``, when none gives a file with the expected digest.
    """
    destination = os.fspath(destination)
    directory = os.path.dirname(destination) or "."
    os.makedirs(directory, exist_ok=True)
    failures = []
    for url in urls:
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".download-")
        try:
            with os.fdopen(handle, "wb") as file:
                fetch(url, file)
            digest = md5sum(temporary)
            if digest != md5:
                raise ChecksumError(f"MD5 {digest} differs from the published {md5}")
            os.replace(temporary, destination)
            return destination
        except OSError as err:
            failures.append(f"{url}: {err}")
        finally:
            if os.path.exists(temporary):
                os.remove(temporary)
    raise OSError(f"could not download {os.path.basename(destination)}:\n  "
                  + "\n  ".join(failures))
