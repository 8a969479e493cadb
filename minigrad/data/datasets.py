"""``load(name, split)``: MNIST, Fashion-MNIST, CIFAR-10 or the synthetic digits as arrays.

Returns ``(images, labels)``: images ``(N, C, H, W)`` uint8 — ``(N, 1, 28, 28)``
for MNIST, Fashion-MNIST and the synthetic digits (the IDX ``(N, 28, 28)`` with a
channel axis added), ``(N, 3, 32, 32)`` for CIFAR-10 — and labels ``(N,)`` int64.

Files are looked for, in order, in ``root``, ``$MINIGRAD_DATA``, ``../shared/data``
beside the repository or the working directory, and the user cache
(``$XDG_CACHE_HOME/minigrad``, default ``~/.cache/minigrad``); in each place both
in the data set's own subfolder (``mnist/``, ``fashion-mnist/``,
``cifar-10-batches-py/`` or ``cifar-10-subset/``) and directly. IDX files may be
gzip-compressed (``*.gz``) or raw. CIFAR-10 accepts the original batches
(``data_batch_1`` … ``data_batch_5``, ``test_batch``) or the subset files
``data_batch_1_first4000`` / ``test_batch_first1000``.

When nothing is found and ``download`` is true, the original files are fetched
from their official locations, checked against their published MD5 digests
and written atomically into ``root`` (or the cache); otherwise
``FileNotFoundError`` names the files, the folders searched and where to put them.
"""
import os
import pathlib
import tarfile

import numpy

from ..checkpoint import atomic_write
from . import download as downloads
from .cifar import read_cifar_batch
from .errors import DataFormatError
from .idx import read_idx_images, read_idx_labels
from .synthetic import synthetic_digits

SPLITS = ("train", "test")
IDX_SETS = {
    "mnist": {
        "folder": "mnist",
        "files": {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
                  "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")},
        "urls": ("https://yann.lecun.com/exdb/mnist/",
                 "https://ossci-datasets.s3.amazonaws.com/mnist/"),
        "md5": {"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
                "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
                "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"},
    },
    "fashion-mnist": {
        "folder": "fashion-mnist",
        "files": {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
                  "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")},
        "urls": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        "md5": {"train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
                "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
                "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310"},
    },
}
CIFAR10 = {
    "folders": ("cifar-10-batches-py", "cifar-10-subset"),
    "files": {"train": (tuple(f"data_batch_{i}" for i in range(1, 6)),
                        ("data_batch_1_first4000",)),
              "test": (("test_batch",), ("test_batch_first1000",))},
    "url": "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
    "md5": "c58f30108f718f92721af3b95e74349a",
    "archive_folder": "cifar-10-batches-py",
    "archive_members": tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",
                                                                        "batches.meta"),
}
NAMES = tuple(IDX_SETS) + ("cifar10", "synthetic")


def cache_directory():
    """The user cache for downloads: ``$XDG_CACHE_HOME/minigrad`` or ``~/.cache/minigrad``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return pathlib.Path(base) / "minigrad"


def search_directories(root=None):
    """The base folders ``load`` searches, in order (only those that exist)."""
    repository = pathlib.Path(__file__).resolve().parents[2]
    candidates = [root, os.environ.get("MINIGRAD_DATA"),
                  repository.parent / "shared" / "data",
                  pathlib.Path.cwd().parent / "shared" / "data", cache_directory()]
    found = []
    for candidate in candidates:
        if candidate:
            path = pathlib.Path(candidate).expanduser().resolve()
            if path.is_dir() and path not in found:
                found.append(path)
    return found


def _idx_path(folder, name):
    """``folder/name`` or its uncompressed twin (``name`` without ``.gz``), if either exists."""
    for candidate in (folder / name, folder / name[:-len(".gz")]):
        if candidate.is_file():
            return candidate
    return None


def _find(bases, subfolders, names, locate):
    """Paths of all ``names`` in the first folder (base/subfolder, then base) that has them all."""
    for base in bases:
        for folder in [base / sub for sub in subfolders] + [base]:
            paths = [locate(folder, name) for name in names]
            if all(paths):
                return paths
    return None


def _not_found(name, split, names, bases, folder, reason):
    searched = "\n  ".join(str(b) for b in bases) or "(none of the candidate folders exists)"
    raise FileNotFoundError(
        f"{name} {split} data not found: no folder holds all of {', '.join(names)}"
        f"{' (gzip or raw)' if name in IDX_SETS else ''}. "
        f"Searched (each also in its subfolder {folder}/):\n  {searched}\n"
        f"Put the files in {cache_directory() / folder}/, or in <folder>/{folder}/ and pass "
        f"root=<folder> or set MINIGRAD_DATA=<folder>. {reason}")


def _load_idx(name, split, root, download):
    spec = IDX_SETS[name]
    names = spec["files"][split]
    bases = search_directories(root)
    paths = _find(bases, [spec["folder"]], names, _idx_path)
    if paths is None:
        if not download:
            _not_found(name, split, names, bases, spec["folder"], "Downloading is switched off.")
        folder = pathlib.Path(root or cache_directory()) / spec["folder"]
        try:
            paths = [downloads.download([url + n for url in spec["urls"]], folder / n,
                                        spec["md5"][n]) for n in names]
        except OSError as err:
            _not_found(name, split, names, bases, spec["folder"], f"Download failed: {err}")
    images, labels = read_idx_images(paths[0]), read_idx_labels(paths[1])
    if len(images) != len(labels):
        raise DataFormatError(f"{paths[0]} holds {len(images)} images but {paths[1]} holds "
                              f"{len(labels)} labels")
    return images, labels


def _download_cifar(directory):
    """Fetch and verify the CIFAR-10 archive, extract its batches into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    archive = directory / "cifar-10-python.tar.gz"
    downloads.download([CIFAR10["url"]], archive, CIFAR10["md5"])
    target = directory / CIFAR10["archive_folder"]
    target.mkdir(exist_ok=True)
    with tarfile.open(archive, "r:gz") as tar:
        for member in CIFAR10["archive_members"]:
            info = tar.getmember(f"{CIFAR10['archive_folder']}/{member}")
            if not info.isfile():
                raise DataFormatError(f"{archive}: {info.name} is not a regular file")
            content = tar.extractfile(info).read()
            atomic_write(target / member, lambda file: file.write(content))
    archive.unlink()


def _load_cifar(split, root, download):
    bases = search_directories(root)
    locate = lambda folder, n: folder / n if (folder / n).is_file() else None  # noqa: E731
    for names in CIFAR10["files"][split]:
        paths = _find(bases, CIFAR10["folders"], names, locate)
        if paths:
            break
    else:
        names = CIFAR10["files"][split][0]
        if not download:
            _not_found("cifar10", split, names, bases, CIFAR10["archive_folder"],
                       "Downloading is switched off.")
        try:
            _download_cifar(pathlib.Path(root or cache_directory()))
        except OSError as err:
            _not_found("cifar10", split, names, bases, CIFAR10["archive_folder"],
                       f"Download failed: {err}")
        return _load_cifar(split, root, download=False)
    batches = [read_cifar_batch(path) for path in paths]
    return (numpy.concatenate([b[0] for b in batches]),
            numpy.concatenate([b[1] for b in batches]))


def load(name, split="train", root=None, download=True):
    """``(images (N, C, H, W) uint8, labels (N,) int64)`` of data set ``name``'s ``split``.

    ``name`` is "mnist", "fashion-mnist", "cifar10" or "synthetic"; ``split`` "train" or "test".
    """
    if split not in SPLITS:
        raise ValueError(f"load: split must be one of {SPLITS}, got {split!r}")
    if name in IDX_SETS:
        return _load_idx(name, split, root, download)
    if name == "cifar10":
        return _load_cifar(split, root, download)
    if name == "synthetic":
        return synthetic_digits(split)
    raise ValueError(f"load: unknown data set {name!r}; known: {NAMES}")
