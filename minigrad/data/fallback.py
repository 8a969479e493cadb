"""The one data fallback: a real data set when its files are found, else the synthetic digits.

``choose_source(name, root, download, log)`` returns ``name`` when ``load`` finds
(or, with ``download``, fetches) its test split, and otherwise ``"synthetic"``,
after ``log`` has been given one line saying which was chosen and why (the files
missing, every folder searched and where to put the files). It never falls back
silently, and only a missing data set falls back: a wrong ``root``
(``NotADirectoryError``), a failed ``download``, a corrupt file or an MD5 mismatch
(``DataFormatError``) are raised to the caller.

``load_or_synthetic(name, split, ...)`` is ``load(choose_source(...), split)``
returning ``(images, labels, source)``, the images in the shape of ``name``
(``IMAGE_SHAPES``) either way: a stand-in for CIFAR-10 ``(N, 3, 32, 32)`` is the
synthetic digits zero-padded by 2 pixels on each side and repeated over the three
channels, so a model built for the requested data set runs on the stand-in.
Results made from the synthetic digits should carry ``source`` so that tables and
figures can say "synthetic".
"""
import numpy

from .datasets import IMAGE_SHAPES, load

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
        shape = IMAGE_SHAPES[name]
        stand_in = "" if shape == IMAGE_SHAPES[SYNTHETIC] else f" in {name}'s shape {shape}"
        log(f"data: {SYNTHETIC} digits{stand_in}, because {missing} (or pass --download to "
            f"fetch it)")
        return SYNTHETIC
    log(f"data: {name} (found locally)")
    return name


def in_shape(images, shape):
    """``images (N, 1, h, w)`` zero-padded to ``shape[1:]`` and repeated over ``shape[0]``
    channels."""
    channels, height, width = shape
    top, left = (height - images.shape[2]) // 2, (width - images.shape[3]) // 2
    if top < 0 or left < 0:
        raise ValueError(f"in_shape: images of size {images.shape[2:]} do not fit {shape}")
    padded = numpy.zeros((len(images), 1, height, width), dtype=images.dtype)
    padded[:, :, top:top + images.shape[2], left:left + images.shape[3]] = images
    return numpy.repeat(padded, channels, axis=1)


def load_or_synthetic(name="mnist", split="train", root=None, download=False, log=print,
                      check_md5=True):
    """``(images, labels, source)``: ``split`` of ``name`` when available, else of the synthetic
    digits in ``name``'s image shape; ``source`` is the data set loaded."""
    source = choose_source(name, root, download, log, check_md5)
    if source != SYNTHETIC:
        images, labels = load(source, split, root=root, download=False, check_md5=check_md5)
        return images, labels, source
    images, labels = load(SYNTHETIC, split)
    shape = IMAGE_SHAPES.get(name, IMAGE_SHAPES[SYNTHETIC])
    if shape != IMAGE_SHAPES[SYNTHETIC]:
        images = in_shape(images, shape)
    return images, labels, source
