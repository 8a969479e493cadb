import numpy
import pytest

import minigrad
from minigrad.data import DataLoader, Normalize, normalize, split


def _arrays(n=10):
    images = numpy.arange(n * 4, dtype=numpy.uint8).reshape(n, 1, 2, 2)
    return images, numpy.arange(n, dtype=numpy.int64)


def _orders(loader, epochs):
    return [numpy.concatenate([y.numpy() for _, y in loader]) for _ in range(epochs)]


def test_unshuffled_batches_follow_the_data_and_keep_the_last_partial_batch():
    images, labels = _arrays(10)
    loader = DataLoader(images, labels, batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and [len(y) for _, y in batches] == [4, 4, 2]
    x, y = batches[2]
    assert x.dtype == minigrad.get_default_dtype() and y.dtype == numpy.int64
    numpy.testing.assert_array_equal(x.numpy(), images[8:].astype(x.dtype))
    numpy.testing.assert_array_equal(y.numpy(), [8, 9])


def test_drop_last_drops_the_partial_batch():
    loader = DataLoader(*_arrays(10), batch_size=4, drop_last=True)
    assert len(loader) == 2 and [len(y) for _, y in loader] == [4, 4]


def test_shuffling_is_a_seeded_permutation_new_each_epoch():
    first, second = _orders(DataLoader(*_arrays(), batch_size=3, shuffle=True, seed=7), 2)
    again = _orders(DataLoader(*_arrays(), batch_size=3, shuffle=True, seed=7), 1)[0]
    other = _orders(DataLoader(*_arrays(), batch_size=3, shuffle=True, seed=8), 1)[0]
    assert sorted(first) == list(range(10)) and sorted(second) == list(range(10))
    assert not numpy.array_equal(first, second)
    numpy.testing.assert_array_equal(first, again)
    assert not numpy.array_equal(first, other)
    expected = numpy.random.default_rng(7).permutation(10)
    numpy.testing.assert_array_equal(first, expected)


def test_restored_state_continues_with_the_same_permutations():
    loader = DataLoader(*_arrays(), batch_size=3, shuffle=True, seed=1)
    _orders(loader, 1)
    state = loader.state_dict()
    expected = _orders(loader, 2)
    restored = DataLoader(*_arrays(), batch_size=3, shuffle=True, seed=99)
    restored.load_state_dict(state)
    for a, b in zip(expected, _orders(restored, 2)):
        numpy.testing.assert_array_equal(a, b)


def test_transform_is_applied_to_the_images():
    images, labels = _arrays(4)
    loader = DataLoader(images, labels, batch_size=4, transform=Normalize(0.5, 0.25))
    x, _ = next(iter(loader))
    numpy.testing.assert_allclose(x.numpy(), (images / 255 - 0.5) / 0.25, rtol=1e-6)


def test_bad_arguments_are_rejected():
    images, labels = _arrays(4)
    with pytest.raises(ValueError, match="4 images but 3 labels"):
        DataLoader(images, labels[:3], batch_size=2)
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(images, labels, batch_size=0)


def test_normalize_uses_per_channel_statistics():
    images = numpy.full((2, 3, 2, 2), 51, dtype=numpy.uint8)
    out = normalize(images, mean=(0.1, 0.2, 0.3), std=(0.5, 1.0, 2.0), dtype=numpy.float64)
    assert out.dtype == numpy.float64 and out.shape == (2, 3, 2, 2)
    numpy.testing.assert_allclose(out[0, :, 0, 0], [(0.2 - 0.1) / 0.5, 0.0, (0.2 - 0.3) / 2.0])
    with pytest.raises(ValueError, match="std must be positive"):
        normalize(images, 0.0, 0.0)


def test_split_gives_disjoint_subsets_of_the_requested_sizes():
    images, labels = _arrays(2000)
    (a_x, a_y), (b_x, b_y) = split(images, labels, [1200, 200], seed=3)
    assert len(a_x) == len(a_y) == 1200 and len(b_x) == len(b_y) == 200
    assert not set(a_y.tolist()) & set(b_y.tolist())
    numpy.testing.assert_array_equal(a_x[:, 0, 0, 0], images[a_y][:, 0, 0, 0])
    again = split(images, labels, [1200, 200], seed=3)
    numpy.testing.assert_array_equal(again[1][1], b_y)
    with pytest.raises(ValueError, match="sum to at most"):
        split(images, labels, [1900, 200])
