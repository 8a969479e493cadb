"""Data sets and mini-batches: readers, ``load``, ``DataLoader``, ``split``, ``normalize``."""
from .cifar import RestrictedUnpickler, read_cifar_batch, read_cifar_label_names
from .datasets import NAMES, cache_directory, load, search_directories
from .download import ChecksumError, download, md5sum
from .errors import DataFormatError
from .idx import read_idx, read_idx_images, read_idx_labels
from .loader import DataLoader
from .splits import split
from .synthetic import synthetic_digits
from .transforms import STATISTICS, Normalize, normalize
