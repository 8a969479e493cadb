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
with the caller, as PyTorch's ``generator=`` is). With neither, as in PyTorch, a
shuffling pass seeds the loader's generator with a number drawn from the global
generator (``minigrad.random``), so ``minigrad.manual_seed(s)`` decides the order.
Each ``iter`` is a new pass, so ``while True: for batch in loader`` serves any number
of steps. The last, smaller batch is kept unless ``drop_last``.

A batch is a tuple of Tensors on the active backend, one per field of the
samples (``(x, y)`` for a pair). With ``dataset`` a ``TensorDataset`` the fields
are gathered by indexing each array once; any other ``Dataset`` has its samples
collated as PyTorch's ``default_collate`` does: arrays, Tensors and numbers stacked
(keeping their dtype), strings kept as a list, dict samples as a dict of the
collated values under the same keys (the batch is then that dict). The array
form is ``TensorDataset(images, labels)`` whose ``x = transform(images[idx])``
(the raw images when no transform is given) becomes the default float dtype and
``y`` int64; a transform must give one row per image (``ValueError`` otherwise).

``state_dict()`` holds the generator's state at the start of the current pass
and how many batches of it were handed out, so a loader restored with
``load_state_dict`` continues with the same permutation and the next batch:
training resumed from a checkpoint taken between epochs, or in the middle of
one, sees the same batches as an uninterrupted run. A state that does not fit the
loader (a batch count beyond its pass length, a foreign generator state) raises
``ValueError``.
"""
import collections.abc
import math
import numbers

import numpy

from .. import backend, random
from ..tensor import Tensor
from .dataset import Dataset, TensorDataset


def _is_batch_size(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


class DataLoader:
    """Batches of ``dataset`` (or of ``images`` and ``labels``), optionally shuffled."""

    def __init__(self, dataset, *arguments, batch_size=None, shuffle=False, seed=None,
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
        self.follows_global = seed is None and generator is None
        self.generator = numpy.random.default_rng(seed or 0) if generator is None else generator
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
        if self.shuffle and self.follows_global and not self._skip:
            self.generator = numpy.random.default_rng(random.generator().integers(2 ** 63))
        self._pass_start = self.generator.bit_generator.state
        order = self.generator.permutation(n) if self.shuffle else numpy.arange(n)
        start, self._skip = self._skip, 0
        for b in range(start, len(self)):
            self._handed_out = b + 1
            yield self._batch(order[b * self.batch_size:(b + 1) * self.batch_size])
        self._pass_start, self._handed_out = None, 0

    def _batch(self, idx):
        if not isinstance(self.dataset, TensorDataset):
            samples = [self.dataset[int(i)] for i in idx]
            batch = _collate(samples, "sample")
            return batch if isinstance(samples[0], (tuple, collections.abc.Mapping)) else (batch,)
        fields = self.dataset.fields(idx)
        if self.arrays_form:
            images, labels = fields
            if self.transform is not None:
                images = self.transform(images)
                if len(images) != len(labels):
                    raise ValueError(f"DataLoader: the transform returned {len(images)} rows "
                                     f"for a batch of {len(labels)} images; it must map each "
                                     f"image to one row")
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
        if not isinstance(state, collections.abc.Mapping) or not {"seed", "generator"} <= set(
                state):
            raise ValueError(f"DataLoader.load_state_dict: expected a dict with 'seed', "
                             f"'generator' and 'batches' (as state_dict() returns), got "
                             f"{sorted(state) if isinstance(state, dict) else type(state).__name__}")
        batches = state.get("batches", 0)
        if not _is_batch_size(batches) or not 0 <= batches < max(len(self), 1):
            raise ValueError(f"DataLoader.load_state_dict: the state has handed out {batches!r} "
                             f"batches of a pass of {len(self)}; it belongs to another loader "
                             f"(data set size or batch size differ)")
        generator = numpy.random.default_rng()
        try:
            generator.bit_generator.state = state["generator"]
        except (TypeError, ValueError, KeyError) as err:
            raise ValueError(f"DataLoader.load_state_dict: 'generator' is not the state of a "
                             f"{type(generator.bit_generator).__name__} generator ({err})") from err
        self.seed = state["seed"]
        self.generator.bit_generator.state = state["generator"]
        self._skip = int(batches)
        self._pass_start, self._handed_out = None, 0


def _collate(values, where):
    """One batch from the samples' ``values`` at ``where``, as PyTorch's ``default_collate``:
    a dict of collated values for dicts, a tuple for tuples, a list for strings, else a Tensor
    of the stacked arrays (Tensors or numbers)."""
    first = values[0]
    if isinstance(first, collections.abc.Mapping):
        for value in values:
            if not isinstance(value, collections.abc.Mapping) or value.keys() != first.keys():
                raise ValueError(f"DataLoader: the {where}s of one batch differ in their keys "
                                 f"({list(first)} and "
                                 f"{list(value) if hasattr(value, 'keys') else value!r})")
        return {key: _collate([value[key] for value in values], f"{where}[{key!r}]")
                for key in first}
    if isinstance(first, (str, bytes)):
        return list(values)
    if isinstance(first, tuple):
        if any(not isinstance(value, tuple) or len(value) != len(first) for value in values):
            raise ValueError(f"DataLoader: the {where}s of one batch have different numbers "
                             f"of fields")
        return tuple(_collate([value[k] for value in values], f"{where}[{k}]")
                     for k in range(len(first)))
    arrays = [backend.to_host(v.data) if isinstance(v, Tensor) else v for v in values]
    try:
        stacked = numpy.stack([numpy.asarray(a) for a in arrays])
    except ValueError as err:
        raise ValueError(f"DataLoader: the {where}s of one batch cannot be stacked "
                         f"({err})") from err
    if stacked.dtype.hasobject:
        raise TypeError(f"DataLoader: the {where}s are {type(first).__name__} objects, which "
                        f"do not collate into an array")
    return Tensor(backend.to_device(stacked))
