"""``DataLoader``: mini-batches of a data set as Tensors, with resumable shuffling.

Two forms::

    DataLoader(dataset, batch_size=1, shuffle=False, seed=0, drop_last=False,
               generator=None)                                                  # as PyTorch
    DataLoader(images, labels, batch_size, shuffle=False, seed=0, drop_last=False,
               transform=None)                                                  # arrays

Each pass (``iter(loader)``) visits the N samples once in batches of
``batch_size``: in order, or, with ``shuffle=True``, in the order of a fresh
permutation drawn from the loader's own ``numpy.random.Generator`` (PCG64,
seeded by ``seed``), or from ``generator`` when one is given (it is then shared
with the caller, as PyTorch's ``generator=`` is). Each ``iter`` is a new pass, so
``while True: for batch in loader`` serves any number of steps. The last, smaller batch is kept unless ``drop_last``.

A batch is a tuple of Tensors on the active backend, one per field of the
samples (``(x, y)`` for a pair). With ``dataset`` a ``TensorDataset`` the fields
are gathered by indexing each array once; any other ``Dataset`` has its samples
stacked field by field. Fields keep their dtype, as in PyTorch. The array form
is ``TensorDataset(images, labels)`` whose ``x = transform(images[idx])`` (the raw
images when no transform is given) becomes the default float dtype and ``y``
int64.

``state_dict()`` holds the generator's state at the start of the current pass
and how many batches of it were handed out, so a loader restored with
``load_state_dict`` continues with the same permutation and the next batch:
training resumed from a checkpoint taken between epochs, or in the middle of
one, sees the same batches as an uninterrupted run.
"""
import math
import numbers

import numpy

from .. import backend
from ..tensor import Tensor
from .dataset import Dataset, TensorDataset


def _is_batch_size(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


class DataLoader:
    """Batches of ``dataset`` (or of ``images`` and ``labels``), optionally shuffled."""

    def __init__(self, dataset, *arguments, batch_size=None, shuffle=False, seed=0,
                 drop_last=False, transform=None, generator=None):
        if arguments and not _is_batch_size(arguments[0]):
            labels, *arguments = arguments
            if len(dataset) != len(labels):
                raise ValueError(f"DataLoader: {len(dataset)} images but {len(labels)} labels")
            dataset, self.arrays_form = TensorDataset(dataset, labels), True
        else:
            if not isinstance(dataset, Dataset) and not hasattr(dataset, "__getitem__"):
                raise TypeError(f"DataLoader: dataset must be a Dataset (or images and labels), "
                                f"got {type(dataset).__name__}")
            self.arrays_form = False
        if len(arguments) > 2:
            raise TypeError(f"DataLoader: too many positional arguments ({len(arguments)} after "
                            f"the data); pass seed, drop_last and transform by name")
        if arguments:
            if batch_size is not None:
                raise TypeError("DataLoader: batch_size given twice")
            batch_size = arguments[0]
        shuffle = arguments[1] if len(arguments) == 2 else shuffle
        batch_size = 1 if batch_size is None else batch_size
        if not _is_batch_size(batch_size) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size}")
        if transform is not None and not self.arrays_form:
            raise TypeError("DataLoader: transform applies to the images of the "
                            "DataLoader(images, labels, ...) form; transform a Dataset's "
                            "samples in its __getitem__")
        self.dataset = dataset
        self.batch_size, self.shuffle, self.drop_last = int(batch_size), bool(shuffle), drop_last
        self.transform = transform
        self.seed = seed
        self.generator = numpy.random.default_rng(seed) if generator is None else generator
        if not isinstance(self.generator, numpy.random.Generator):
            raise TypeError(f"DataLoader: generator must be a numpy.random.Generator, got "
                            f"{type(generator).__name__}")
        self._pass_start, self._handed_out, self._skip = None, 0, 0

    @property
    def images(self):
        """The first field of a ``TensorDataset`` (the images of the array form)."""
        return self.dataset.arrays[0]

    @property
    def labels(self):
        """The second field of a ``TensorDataset`` (the labels of the array form)."""
        return self.dataset.arrays[1]

    def __len__(self):
        """The number of batches in one pass."""
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        self._pass_start = self.generator.bit_generator.state
        order = self.generator.permutation(n) if self.shuffle else numpy.arange(n)
        start, self._skip = self._skip, 0
        for b in range(start, len(self)):
            self._handed_out = b + 1
            yield self._batch(order[b * self.batch_size:(b + 1) * self.batch_size])
        self._pass_start, self._handed_out = None, 0

    def _fields(self, idx):
        if isinstance(self.dataset, TensorDataset):
            return self.dataset.fields(idx)
        samples = [self.dataset[int(i)] for i in idx]
        if not isinstance(samples[0], tuple):
            return (_stack(samples),)
        return tuple(_stack([sample[k] for sample in samples]) for k in range(len(samples[0])))

    def _batch(self, idx):
        fields = self._fields(idx)
        if self.arrays_form:
            images, labels = fields
            if self.transform is not None:
                images = self.transform(images)
            fields = (numpy.asarray(images, dtype=backend.get_default_dtype()),
                      numpy.asarray(labels, dtype=numpy.int64))
        return tuple(Tensor(backend.to_device(f)) for f in fields)

    def state_dict(self):
        """``{"seed", "generator": PCG64 state at the start of the pass, "batches": handed
        out in it}`` (between passes: the state of the next pass and the batches it skips)."""
        if self._pass_start is not None and self._handed_out < len(self):
            return {"seed": self.seed, "generator": self._pass_start,
                    "batches": self._handed_out}
        return {"seed": self.seed, "generator": self.generator.bit_generator.state,
                "batches": self._skip}

    def load_state_dict(self, state):
        """Continue from a state saved by ``state_dict``: the next pass repeats the saved pass's
        permutation from the batch after the last one handed out."""
        self.seed = state["seed"]
        self.generator.bit_generator.state = state["generator"]
        self._skip = int(state.get("batches", 0))
        self._pass_start, self._handed_out = None, 0


def _stack(values):
    """One batch array from the samples' values of one field (arrays, Tensors or numbers)."""
    arrays = [backend.to_host(v.data) if isinstance(v, Tensor) else v for v in values]
    return numpy.stack([numpy.asarray(a) for a in arrays])
