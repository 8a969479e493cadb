"""``DataLoader``: mini-batches of in-memory arrays as Tensors, with resumable shuffling.

Each pass (``iter(loader)``) visits the N samples once in batches of
``batch_size``: in order, or, with ``shuffle=True``, in the order of a fresh
permutation drawn from the loader's own ``numpy.random.Generator`` (PCG64,
seeded by ``seed``). ``state_dict()`` holds that generator's state, so a loader
restored with ``load_state_dict`` draws the same permutations as the one saved:
training resumed from a checkpoint taken between epochs sees the same batches
as an uninterrupted run. The last, smaller batch is kept unless ``drop_last``.

A batch is ``(x, y)``: ``x = transform(images[idx])`` (the raw images when no
transform is given) as a Tensor of the default float dtype, ``y`` an int64
Tensor, both on the active backend.
"""
import math

import numpy

from .. import backend
from ..tensor import Tensor


class DataLoader:
    """Batches ``(x, y)`` of ``images`` (N, ...) and ``labels`` (N, ...), optionally shuffled."""

    def __init__(self, images, labels, batch_size, shuffle=False, seed=0, drop_last=False,
                 transform=None):
        if len(images) != len(labels):
            raise ValueError(f"DataLoader: {len(images)} images but {len(labels)} labels")
        if int(batch_size) != batch_size or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size}")
        self.images, self.labels = images, labels
        self.batch_size, self.shuffle, self.drop_last = int(batch_size), shuffle, drop_last
        self.transform = transform
        self.seed = seed
        self.generator = numpy.random.default_rng(seed)

    def __len__(self):
        """The number of batches in one pass."""
        n = len(self.images)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self):
        n = len(self.images)
        order = self.generator.permutation(n) if self.shuffle else numpy.arange(n)
        for b in range(len(self)):
            idx = order[b * self.batch_size:(b + 1) * self.batch_size]
            yield self._batch(idx)

    def _batch(self, idx):
        images = self.images[idx]
        if self.transform is not None:
            images = self.transform(images)
        x = backend.to_device(numpy.asarray(images, dtype=backend.get_default_dtype()))
        y = backend.to_device(numpy.asarray(self.labels[idx], dtype=numpy.int64))
        return Tensor(x), Tensor(y)

    def state_dict(self):
        """The shuffling state: ``{"seed": int, "generator": PCG64 state dict}``."""
        return {"seed": self.seed, "generator": self.generator.bit_generator.state}

    def load_state_dict(self, state):
        """Continue shuffling from a state saved by ``state_dict``."""
        self.seed = state["seed"]
        self.generator = numpy.random.default_rng(self.seed)
        self.generator.bit_generator.state = state["generator"]
