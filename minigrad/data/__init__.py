"""Data sets and mini-batches: readers, ``load``, the synthetic fallback, ``Dataset``,
``TensorDataset``, ``DataLoader``, ``split``, ``normalize``."""
from .cifar import RestrictedUnpickler, read_cifar_batch, read_cifar_label_names
from .dataset import Dataset, TensorDataset
from .datasets import (IMAGE_SHAPES, MD5, NAMES, cache_directory, default_places, load,
                       search_directories, verify_md5)
from .download import ChecksumError, download, md5sum
from .errors import DataFormatError
from .fallback import choose_source, load_or_synthetic
from .idx import read_idx, read_idx_images, read_idx_labels
from .loader import DataLoader
from .splits import split
from .synthetic import synthetic_digits
from .transforms import STATISTICS, Normalize, normalize
