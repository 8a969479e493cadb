"""The one data fallback: a real data set when its files are found, else the synthetic digits.

``choose_source(name, root, download, log)`` returns ``name`` when ``load`` finds
(or, with ``download``, fetches) its test split, and otherwise ``"synthetic"``,
after ``log`` has been given a line saying which was chosen and why. It never
falls back silently, and only a missing data set falls back: a wrong ``root``
(``NotADirectoryError``), a failed ``download``, a corrupt file or an MD5
mismatch (``DataFormatError``) are raised to the caller.

``load_or_synthetic(name, split, ...)`` is ``load(choose_source(...), split)``
returning ``(images, labels, source)``; results made from the synthetic digits
should carry ``source`` so that tables and figures can say "synthetic".
"""
from .datasets import load

SYNTHETIC = "synthetic"


def choose_source(name="mnist", root=None, download=False, log=print, check_md5=True):
    """``name`` if its files are available, else ``"synthetic"``; ``log`` is told which."""
    if name == SYNTHETIC:
        return name
    try:
        load(name, "test", root=root, download=False, check_md5=check_md5)
    except FileNotFoundError as missing:
        if download:
            load(name, "test", root=root, download=True, check_md5=check_md5)
            log(f"data: {name} (downloaded)")
            return name
        first_line = str(missing).splitlines()[0]
        log(f"data: {SYNTHETIC} digits, because {first_line} (pass --download to fetch it)")
        return SYNTHETIC
    log(f"data: {name} (found locally)")
    return name


def load_or_synthetic(name="mnist", split="train", root=None, download=False, log=print,
                      check_md5=True):
    """``(images, labels, source)``: ``split`` of ``name`` when available, else of the synthetic
    digits; ``source`` is the data set loaded."""
    source = choose_source(name, root, download, log, check_md5)
    images, labels = load(source, split, root=None if source == SYNTHETIC else root,
                          download=False, check_md5=check_md5)
    return images, labels, source
