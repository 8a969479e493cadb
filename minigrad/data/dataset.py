"""``Dataset`` and ``TensorDataset``, as in ``torch.utils.data``.

A ``Dataset`` is anything with ``__len__`` and ``__getitem__(i)`` returning one
sample, usually a tuple ``(x_i, y_i)``. ``TensorDataset(*arrays)`` wraps arrays
or Tensors sharing their first dimension N: sample ``i`` is
``tuple(a[i] for a in arrays)``, and ``fields(indices)`` gathers a whole batch
of each array at once (the fast path ``DataLoader`` uses).
"""
from ..tensor import Tensor


class Dataset:
    """A map-style data set: subclasses define ``__getitem__(i)`` and ``__len__()``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


def _array(value):
    return value.data if isinstance(value, Tensor) else value


class TensorDataset(Dataset):
    """Samples ``tuple(a[i] for a in arrays)`` of arrays or Tensors with the same length N."""

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset: needs at least one array")
        self.arrays = tuple(_array(a) for a in arrays)
        lengths = [len(a) for a in self.arrays]
        if len(set(lengths)) != 1:
            raise ValueError(f"TensorDataset: the arrays must share their first dimension, got "
                             f"lengths {lengths}")

    def __len__(self):
        return len(self.arrays[0])

    def __getitem__(self, index):
        return tuple(a[index] for a in self.arrays)

    def fields(self, indices):
        """Each array's rows ``indices`` (an int array), as a tuple."""
        return tuple(a[indices] for a in self.arrays)
