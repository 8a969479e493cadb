import numpy
import pytest

import minigrad
from minigrad.data import DataLoader, Dataset, TensorDataset, choose_source, load_or_synthetic
from minigrad.data import datasets


class Squares(Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, i):
        return numpy.array([i, i * i], dtype=numpy.float64), i % 2


def test_tensor_dataset_indexes_every_array_and_checks_lengths():
    x, y = numpy.arange(12.0).reshape(6, 2), numpy.arange(6)
    dataset = TensorDataset(minigrad.tensor(x), y)
    assert len(dataset) == 6
    row, label = dataset[4]
    numpy.testing.assert_array_equal(row, x[4])
    assert label == 4
    with pytest.raises(ValueError, match=r"share their first dimension, got lengths \[6, 5\]"):
        TensorDataset(x, y[:5])


def test_loader_over_a_dataset_as_in_pytorch_keeps_the_dtypes():
    batches = list(DataLoader(Squares(), batch_size=2, shuffle=False))
    assert [len(x) for x, _ in batches] == [2, 2, 1]
    x, y = batches[1]
    numpy.testing.assert_array_equal(x.data, [[2.0, 4.0], [3.0, 9.0]])
    assert x.dtype == numpy.float64 and y.dtype == numpy.int64
    numpy.testing.assert_array_equal(y.data, [0, 1])
    positional = list(DataLoader(TensorDataset(numpy.arange(6), numpy.arange(6)), 4, True))
    assert sorted(numpy.concatenate([b[0].data for b in positional]).tolist()) == list(range(6))


def test_loader_resumes_in_the_middle_of_a_pass():
    x = numpy.arange(20.0)[:, None]
    loader = DataLoader(TensorDataset(x, numpy.arange(20)), batch_size=3, shuffle=True, seed=5)
    straight = [b[1].data.tolist() for _ in range(2) for b in loader]
    interrupted = DataLoader(TensorDataset(x, numpy.arange(20)), batch_size=3, shuffle=True,
                             seed=5)
    iterator = iter(interrupted)
    seen = [next(iterator)[1].data.tolist() for _ in range(3)]
    state = interrupted.state_dict()
    assert state["batches"] == 3
    restored = DataLoader(TensorDataset(x, numpy.arange(20)), batch_size=3, shuffle=True, seed=0)
    restored.load_state_dict(state)
    rest = [b[1].data.tolist() for b in restored] + [b[1].data.tolist() for b in restored]
    assert seen + rest == straight


def test_a_wrong_batch_size_names_the_argument():
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        DataLoader(Squares(), batch_size=0)


def test_the_fallback_says_which_data_it_chose(monkeypatch, tmp_path):
    monkeypatch.setattr(datasets, "search_directories", lambda root_argument=None: [])
    lines = []
    assert choose_source("mnist", log=lines.append) == "synthetic"
    assert lines and lines[0].startswith("data: synthetic digits, because mnist test data not "
                                         "found")
    images, labels, source = load_or_synthetic("mnist", "test", log=lines.append)
    assert source == "synthetic" and images.shape == (2000, 1, 28, 28)


def test_the_fallback_raises_for_a_wrong_root(tmp_path):
    with pytest.raises(NotADirectoryError, match="no such folder"):
        choose_source("mnist", root=tmp_path / "missing", log=lambda line: None)


def test_a_given_generator_draws_the_permutations_like_a_demo_queue():
    x = numpy.arange(10.0)[:, None]
    loader = DataLoader(TensorDataset(x, numpy.arange(10)), batch_size=4, shuffle=True,
                        generator=numpy.random.default_rng(11))
    rng = numpy.random.default_rng(11)
    expected = [order[i:i + 4].tolist() for order in (rng.permutation(10), rng.permutation(10))
                for i in range(0, 10, 4)]
    assert [b[1].data.tolist() for _ in range(2) for b in loader] == expected
    with pytest.raises(TypeError, match="generator must be a numpy.random.Generator"):
        DataLoader(TensorDataset(x, x), batch_size=2, generator=11)
