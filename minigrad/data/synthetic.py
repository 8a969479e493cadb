""""Synthetic digits": a deterministic 10-class image set generated offline.

Used when no real data set is found, so training runs anywhere. Each class c
has a template ``T_c`` on a 32×32 canvas: three pen strokes between random
points, each drawn as a Gaussian tube ``exp(−d²/2σ²)`` (d the distance to the
segment, σ = 1.3 px) and combined by a pixelwise maximum. A sample of class c is

    x = clip(s · crop(T_c + α T_c', shift) + ε, 0, 1) · 255      (uint8)

with a random 28×28 crop (a shift of up to ±2 px), a random other class c'
mixed in with α ~ U(0, 0.5), a contrast s ~ U(0.7, 1.1) and pixel noise
ε ~ N(0, 0.15²). The templates and every draw come from fixed seeds, so the
set is the same on every machine.

Shapes: images ``(N, 1, 28, 28)`` uint8, labels ``(N,)`` int64 (balanced classes
in a random order); ``train`` has 10,000 samples and ``test`` 2,000.
"""
import functools

import numpy

NUM_CLASSES = 10
IMAGE_SIZE = 28
SPLIT_SIZES = {"train": 10000, "test": 2000}
_CANVAS = IMAGE_SIZE + 4
_STROKES = 3
_PEN_WIDTH = 1.3
_TEMPLATE_SEED = 20240
_SPLIT_SEEDS = {"train": 1, "test": 2}


def _stroke(grid, start, end):
    """Gaussian tube intensity of the segment ``start → end`` at every point of ``grid``."""
    direction = end - start
    t = numpy.clip(((grid - start) @ direction) / (direction @ direction), 0.0, 1.0)
    nearest = start + t[..., None] * direction
    distance2 = ((grid - nearest) ** 2).sum(-1)
    return numpy.exp(-distance2 / (2 * _PEN_WIDTH ** 2))


def templates():
    """The class templates, ``(10, 32, 32)`` float64 with values in [0, 1]."""
    rng = numpy.random.default_rng(_TEMPLATE_SEED)
    axis = numpy.arange(_CANVAS, dtype=numpy.float64)
    grid = numpy.stack(numpy.meshgrid(axis, axis, indexing="ij"), axis=-1)
    result = numpy.zeros((NUM_CLASSES, _CANVAS, _CANVAS))
    for c in range(NUM_CLASSES):
        points = rng.uniform(8, _CANVAS - 8, size=(_STROKES + 1, 2))
        for start, end in zip(points[:-1], points[1:]):
            result[c] = numpy.maximum(result[c], _stroke(grid, start, end))
    return result


def synthetic_digits(split="train"):
    """``(images (N, 1, 28, 28) uint8, labels (N,) int64)`` of the given split (new arrays)."""
    if split not in SPLIT_SIZES:
        raise ValueError(f"synthetic_digits: split must be one of {sorted(SPLIT_SIZES)}, "
                         f"got {split!r}")
    images, labels = _generate(split)
    return images.copy(), labels.copy()


@functools.lru_cache(maxsize=None)
def _generate(split):
    """The split, generated once per process."""
    n = SPLIT_SIZES[split]
    rng = numpy.random.default_rng(_SPLIT_SEEDS[split])
    canvas = templates()
    labels = rng.permutation(numpy.arange(n) % NUM_CLASSES)
    others = (labels + rng.integers(1, NUM_CLASSES, size=n)) % NUM_CLASSES
    mixed = canvas[labels] + rng.uniform(0, 0.5, size=(n, 1, 1)) * canvas[others]
    offsets = rng.integers(0, _CANVAS - IMAGE_SIZE + 1, size=(n, 2))
    rows = offsets[:, 0, None] + numpy.arange(IMAGE_SIZE)
    cols = offsets[:, 1, None] + numpy.arange(IMAGE_SIZE)
    crops = mixed[numpy.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]
    contrast = rng.uniform(0.7, 1.1, size=(n, 1, 1))
    noisy = contrast * crops + rng.normal(0, 0.15, size=crops.shape)
    images = numpy.round(numpy.clip(noisy, 0, 1) * 255).astype(numpy.uint8)
    return images[:, None], labels.astype(numpy.int64)
