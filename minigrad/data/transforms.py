"""Input normalisation: uint8 pixels to standardised floats.

    normalize(x) = (x / 255 − mean) / std       (per channel)

``mean`` and ``std`` are statistics of the training images scaled to [0, 1]
(``STATISTICS``: the values commonly used for MNIST and Fashion-MNIST, the
per-channel values of the CIFAR-10 training set, and those of the synthetic
digits as generated). Images are ``(N, C, H, W)``; ``mean``/``std`` are scalars
or length-C sequences.
"""
import numpy

STATISTICS = {
    "mnist": ((0.1307,), (0.3081,)),
    "fashion-mnist": ((0.2860,), (0.3530,)),
    "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
    "synthetic": ((0.1587,), (0.2432,)),
}


def normalize(images, mean, std, dtype=numpy.float32):
    """``(images / 255 − mean) / std`` per channel as ``dtype``; images ``(N, C, H, W)`` uint8."""
    images = numpy.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"normalize: images must be (N, C, H, W), got shape {images.shape}")
    channels = images.shape[1]
    mean = numpy.broadcast_to(numpy.asarray(mean, dtype=numpy.float64), (channels,))
    std = numpy.broadcast_to(numpy.asarray(std, dtype=numpy.float64), (channels,))
    if numpy.any(std <= 0):
        raise ValueError(f"normalize: std must be positive, got {std}")
    scaled = images.astype(dtype) / dtype(255) if images.dtype == numpy.uint8 \
        else images.astype(dtype)
    return (scaled - mean.astype(dtype)[:, None, None]) / std.astype(dtype)[:, None, None]


class Normalize:
    """``normalize`` with fixed statistics, as a loader ``transform``.

    ``Normalize.for_dataset("mnist")`` uses the statistics in ``STATISTICS``.
    """

    def __init__(self, mean, std, dtype=numpy.float32):
        self.mean, self.std, self.dtype = mean, std, numpy.dtype(dtype).type

    @classmethod
    def for_dataset(cls, name, dtype=numpy.float32):
        if name not in STATISTICS:
            raise ValueError(f"Normalize: no statistics for data set {name!r}; known: "
                             f"{sorted(STATISTICS)}")
        mean, std = STATISTICS[name]
        return cls(mean, std, dtype)

    def __call__(self, images):
        return normalize(images, self.mean, self.std, self.dtype)

    def __repr__(self):
        return f"Normalize(mean={self.mean}, std={self.std})"
