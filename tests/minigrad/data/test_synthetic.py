import numpy

from minigrad.data import STATISTICS, load, synthetic_digits


def test_synthetic_digits_are_deterministic_balanced_uint8():
    images, labels = load("synthetic", "test")
    again, _ = synthetic_digits("test")
    assert images.shape == (2000, 1, 28, 28) and images.dtype == numpy.uint8
    assert labels.dtype == numpy.int64 and numpy.bincount(labels).tolist() == [200] * 10
    numpy.testing.assert_array_equal(images, again)


def test_documented_statistics_match_the_generated_training_set():
    images, _ = synthetic_digits("train")
    (mean,), (std,) = STATISTICS["synthetic"]
    scaled = images / 255.0
    assert abs(scaled.mean() - mean) < 1e-3 and abs(scaled.std() - std) < 1e-3


def test_classes_are_separable_by_their_templates():
    images, labels = synthetic_digits("test")
    means = numpy.stack([images[labels == c].mean(0).ravel() for c in range(10)])
    flat = images.reshape(len(images), -1).astype(numpy.float64)
    nearest = ((flat[:, None, :] - means[None]) ** 2).sum(-1).argmin(1)
    assert (nearest == labels).mean() > 0.8
