"""Random disjoint subsets of a data set: train/validation splits and small subsets.

``split(images, labels, sizes, seed)`` draws one permutation of the N samples
from ``numpy.random.default_rng(seed)`` and cuts consecutive pieces of the
requested sizes from it (``sum(sizes) ≤ N``; the rest is left out), e.g. 2% of
MNIST: ``split(x, y, [1200, 200], seed=0)`` for 1,200 training and 200
validation samples.
"""
import numpy


def split(images, labels, sizes, seed=0):
    """A list of ``(images, labels)`` pairs with ``sizes[i]`` samples each, disjoint."""
    n = len(images)
    if len(labels) != n:
        raise ValueError(f"split: {n} images but {len(labels)} labels")
    sizes = [int(size) for size in sizes]
    if any(size < 0 for size in sizes) or sum(sizes) > n:
        raise ValueError(f"split: sizes {sizes} must be non-negative and sum to at most the "
                         f"{n} samples available")
    order = numpy.random.default_rng(seed).permutation(n)
    bounds = numpy.cumsum([0] + sizes)
    return [(images[order[a:b]], labels[order[a:b]]) for a, b in zip(bounds[:-1], bounds[1:])]
