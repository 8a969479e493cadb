"""``load(name, split)``: MNIST, Fashion-MNIST, CIFAR-10 or the synthetic digits as arrays.

Returns ``(images, labels)``: images ``(N, C, H, W)`` uint8 — ``(N, 1, 28, 28)``
for MNIST, Fashion-MNIST and the synthetic digits (the IDX ``(N, 28, 28)`` with a
channel axis added), ``(N, 3, 32, 32)`` for CIFAR-10 — and labels ``(N,)`` int64.

With ``root`` given, files are looked for in ``root`` alone, which must be an
existing folder (``NotADirectoryError`` otherwise). Without it, and with
``$MINIGRAD_DATA`` set, they are looked for in that folder alone (a folder that does
not exist holds nothing: ``MINIGRAD_DATA=/nonexistent`` makes every real data set
absent). Otherwise they are looked for, in order, in ``../shared/data`` beside the
repository or the working directory, and the user cache
(``$XDG_CACHE_HOME/minigrad``, default ``~/.cache/minigrad``). In each place both in the data set's own subfolder
(``mnist/``, ``fashion-mnist/``, ``cifar-10-batches-py/`` or ``cifar-10-subset/``)
and directly. IDX files may be gzip-compressed (``*.gz``) or raw. CIFAR-10 accepts
the original batches (``data_batch_1`` … ``data_batch_5``, ``test_batch``) or the
subset files ``data_batch_1_first4000`` / ``test_batch_first1000``.

Every file found under a name in ``MD5`` is checked against that digest (the
published one of the original files; for the CIFAR-10 subset files, the digest
of the subset as distributed) before it is read, unless ``check_md5=False``; a
mismatch raises ``DataFormatError`` naming the file. Uncompressed IDX files
have no published digest and are read unchecked.

When nothing is found and ``download`` is true, the original files are fetched
from their official locations, checked against their published MD5 digests
and written atomically into ``root`` (or ``$MINIGRAD_DATA``, or the cache); a failed
download removes the folders it created and says so. Otherwise ``FileNotFoundError``
names, in one line, the files, every folder searched (those absent marked so) and where
to put them.

``IMAGE_SHAPES`` gives each data set's ``(C, H, W)``.
"""
import functools
import os
import pathlib
import tarfile

import numpy

from ..atomic import atomic_write
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
IMAGE_SHAPES = {"mnist": (1, 28, 28), "fashion-mnist": (1, 28, 28), "cifar10": (3, 32, 32),
                "synthetic": (1, 28, 28)}
CIFAR10_MD5 = {
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "40351d587109b95175f43aff81a1287e",
    "batches.meta": "5ff9c542aee3614f3951f8cda6e48888",
    "data_batch_1_first4000": "5539074f06094362eb65abeec2a716dc",
    "test_batch_first1000": "dad0c89421ceed5329ba4906cc71e62f",
}
MD5 = {"mnist": IDX_SETS["mnist"]["md5"], "fashion-mnist": IDX_SETS["fashion-mnist"]["md5"],
       "cifar10": CIFAR10_MD5}


def cache_directory():
    """The user cache for downloads: ``$XDG_CACHE_HOME/minigrad`` or ``~/.cache/minigrad``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return pathlib.Path(base) / "minigrad"


def default_places():
    """The base folders searched without ``root``: ``$MINIGRAD_DATA`` alone when it is set,
    else ``../shared/data`` beside the repository and the working directory, and the cache."""
    if os.environ.get("MINIGRAD_DATA"):
        return [pathlib.Path(os.environ["MINIGRAD_DATA"]).expanduser().resolve()]
    repository = pathlib.Path(__file__).resolve().parents[2]
    places = []
    for candidate in (repository.parent / "shared" / "data",
                      pathlib.Path.cwd().parent / "shared" / "data", cache_directory()):
        path = candidate.expanduser().resolve()
        if path not in places:
            places.append(path)
    return places


def download_directory(root=None):
    """Where a download is written: ``root``, else ``$MINIGRAD_DATA``, else the cache."""
    return pathlib.Path(root or os.environ.get("MINIGRAD_DATA") or cache_directory())


def search_directories(root=None):
    """The base folders ``load`` searches, in order: ``root`` alone when given (it must exist),
    else those of ``default_places()`` that exist."""
    if root is not None:
        path = pathlib.Path(root).expanduser().resolve()
        if not path.is_dir():
            raise NotADirectoryError(f"data root {root}: no such folder (root names the folder "
                                     f"holding the data files, e.g. its mnist/ subfolder)")
        return [path]
    return [path for path in default_places() if path.is_dir()]


@functools.lru_cache(maxsize=None)
def _cached_md5(path, size, mtime_ns):
    return downloads.md5sum(path)


def verify_md5(name, path):
    """Raise ``DataFormatError`` unless the file ``path`` of data set ``name`` has the digest
    ``MD5`` lists for its file name (files it does not list pass)."""
    expected = MD5.get(name, {}).get(pathlib.Path(path).name)
    if expected is None:
        return
    info = os.stat(path)
    digest = _cached_md5(os.fspath(path), info.st_size, info.st_mtime_ns)
    if digest != expected:
        raise DataFormatError(f"{path}: MD5 {digest} differs from the published {expected}; the "
                              f"file is corrupt or not the original (check_md5=False, or "
                              f"--no-md5-check on the training command, reads it anyway)")


def _created_folders(folder):
    """The folders ``folder`` and its missing parents, deepest first, that do not exist yet."""
    missing = []
    for path in [folder, *folder.parents]:
        if path.exists():
            break
        missing.append(path)
    return missing


def _remove_empty(folders):
    """Remove those of ``folders`` (deepest first) that are empty; a note naming them or ''."""
    removed = []
    for path in folders:
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()
            removed.append(str(path))
    return f" Removed the empty folders it created: {', '.join(removed)}." if removed else ""


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
    absent = [f"{path} (absent)" for path in default_places()
              if not path.is_dir() and path not in bases]
    searched = ", ".join([str(b) for b in bases] + absent) or "no folder"
    raise FileNotFoundError(
        f"{name} {split} data not found: no folder holds all of {', '.join(names)}"
        f"{' (gzip or raw)' if name in IDX_SETS else ''}. "
        f"Searched (each also in its subfolder {folder}/): {searched}. "
        f"Put the files in {download_directory() / folder}/, or in <folder>/{folder}/ and pass "
        f"root=<folder> or set MINIGRAD_DATA=<folder>. {reason}")


def _load_idx(name, split, root, download, check_md5):
    spec = IDX_SETS[name]
    names = spec["files"][split]
    bases = search_directories(root)
    paths = _find(bases, [spec["folder"]], names, _idx_path)
    if paths is None:
        if not download:
            _not_found(name, split, names, bases, spec["folder"], "Downloading is switched off.")
        folder = download_directory(root) / spec["folder"]
        created = _created_folders(folder)
        try:
            paths = [downloads.download([url + n for url in spec["urls"]], folder / n,
                                        spec["md5"][n]) for n in names]
        except OSError as err:
            _not_found(name, split, names, bases, spec["folder"],
                       f"Download failed: {err}.{_remove_empty(created)}")
    if check_md5:
        for path in paths:
            verify_md5(name, path)
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


def _load_cifar(split, root, download, check_md5):
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
        directory = download_directory(root)
        created = _created_folders(directory / CIFAR10["archive_folder"])
        try:
            _download_cifar(directory)
        except OSError as err:
            _not_found("cifar10", split, names, bases, CIFAR10["archive_folder"],
                       f"Download failed: {err}.{_remove_empty(created)}")
        return _load_cifar(split, root, False, check_md5)
    if check_md5:
        for path in paths:
            verify_md5("cifar10", path)
    batches = [read_cifar_batch(path) for path in paths]
    return (numpy.concatenate([b[0] for b in batches]),
            numpy.concatenate([b[1] for b in batches]))


def folder_of(name, split="train", root=None):
    """The folder ``load`` reads ``name``'s ``split`` from, or ``None`` (synthetic, not found)."""
    bases = search_directories(root)
    if name in IDX_SETS:
        spec = IDX_SETS[name]
        paths = _find(bases, [spec["folder"]], spec["files"][split], _idx_path)
    elif name == "cifar10":
        locate = lambda folder, n: folder / n if (folder / n).is_file() else None  # noqa: E731
        paths = next(filter(None, (_find(bases, CIFAR10["folders"], names, locate)
                                   for names in CIFAR10["files"][split])), None)
    else:
        paths = None
    return None if not paths else str(paths[0].parent)


def load(name, split="train", root=None, download=True, check_md5=True):
    """``(images (N, C, H, W) uint8, labels (N,) int64)`` of data set ``name``'s ``split``.

    ``name`` is "mnist", "fashion-mnist", "cifar10" or "synthetic"; ``split`` "train" or "test".
    ``check_md5=False`` skips the digest check of local files.
    """
    if split not in SPLITS:
        raise ValueError(f"load: split must be one of {SPLITS}, got {split!r}")
    if name in IDX_SETS:
        return _load_idx(name, split, root, download, check_md5)
    if name == "cifar10":
        return _load_cifar(split, root, download, check_md5)
    if name == "synthetic":
        return synthetic_digits(split)
    raise ValueError(f"load: unknown data set {name!r}; known: {NAMES}")
