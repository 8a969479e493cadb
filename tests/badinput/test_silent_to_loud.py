"""Inputs that used to give a silently wrong answer now give PyTorch's answer or an error."""
import math

import numpy
import pytest

import minigrad
import optim
from minigrad import nn
from minigrad.curvature import Closure
from minigrad.data import DataLoader, Dataset, TensorDataset


@pytest.mark.parametrize("refuse", [lambda ml: ml.insert(1, "bad"),
                                    lambda ml: ml.__setitem__(0, 42),
                                    lambda ml: ml.extend([nn.ReLU(), "bad"])],
                         ids=["insert", "setitem", "extend"])
def test_a_refused_module_list_change_leaves_the_list_intact(refuse):
    layers = [nn.Linear(2, 2), nn.Tanh()]
    ml = nn.ModuleList(layers)
    with pytest.raises(TypeError, match="not a Module"):
        refuse(ml)
    assert list(ml) == layers and list(ml._modules) == ["0", "1"]
    assert len(list(ml.parameters())) == 2


def _kfac_run():
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    optimizer = optim.KFAC(model.parameters(), lr=0.1)
    x = minigrad.tensor(numpy.random.default_rng(1).standard_normal((8, 3)).astype("float32"))
    y = minigrad.tensor(numpy.arange(8) % 2)
    for _ in range(3):
        optimizer.step(Closure(model, nn.CrossEntropyLoss(), x, y))
    return [minigrad.to_host(p.data) for p in model.parameters()]


def test_kfac_through_the_python_api_is_reproducible_after_manual_seed():
    for first, second in zip(_kfac_run(), _kfac_run()):
        numpy.testing.assert_array_equal(first, second)


def _order(seed):
    minigrad.manual_seed(seed)
    loader = DataLoader(TensorDataset(numpy.arange(20.0), numpy.arange(20)), batch_size=20,
                        shuffle=True)
    return next(iter(loader))[1].data.tolist()


def test_manual_seed_seeds_the_shuffling_of_a_loader_without_its_own_generator():
    assert _order(0) == _order(0)
    assert _order(0) != _order(1)


def test_a_loader_without_a_generator_resumes_mid_pass():
    minigrad.manual_seed(3)
    data = TensorDataset(numpy.arange(20.0), numpy.arange(20))
    loader = DataLoader(data, batch_size=4, shuffle=True)
    straight = [b[1].data.tolist() for b in loader]
    minigrad.manual_seed(3)
    interrupted = DataLoader(data, batch_size=4, shuffle=True)
    iterator = iter(interrupted)
    seen = [next(iterator)[1].data.tolist() for _ in range(2)]
    restored = DataLoader(data, batch_size=4, shuffle=True)
    restored.load_state_dict(interrupted.state_dict())
    assert seen + [b[1].data.tolist() for b in restored] == straight


class Samples(Dataset):
    def __init__(self, make):
        self.make = make

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return self.make(i)


def test_dict_samples_collate_into_a_dict_of_batches_as_default_collate():
    batch = next(iter(DataLoader(Samples(lambda i: {"image": numpy.full((2, 2), i, "float32"),
                                                    "label": i, "name": f"n{i}"}),
                                 batch_size=3)))
    assert set(batch) == {"image", "label", "name"}
    assert batch["image"].shape == (3, 2, 2) and batch["image"].dtype == numpy.float32
    assert batch["label"].data.tolist() == [0, 1, 2] and batch["name"] == ["n0", "n1", "n2"]


def test_string_labels_stay_a_list_of_strings():
    x, labels = next(iter(DataLoader(Samples(lambda i: (numpy.zeros(2), ["cat", "dog"][i % 2])),
                                     batch_size=3)))
    assert labels == ["cat", "dog", "cat"] and x.shape == (3, 2)


def test_samples_with_different_keys_are_an_error():
    with pytest.raises(ValueError, match="differ in their keys"):
        next(iter(DataLoader(Samples(lambda i: {"a": 1} if i else {"b": 1}), batch_size=2)))


def test_a_transform_that_drops_rows_is_an_error():
    images, labels = numpy.zeros((4, 1, 2, 2), numpy.uint8), numpy.arange(4)
    loader = DataLoader(images, labels, 2, transform=lambda batch: batch[:1])
    with pytest.raises(ValueError, match="returned 1 rows for a batch of 2 images"):
        next(iter(loader))


@pytest.mark.parametrize("batches", [5, 99, -1])
def test_a_loader_state_beyond_the_pass_is_refused(batches):
    loader = DataLoader(numpy.zeros((10, 1)), numpy.arange(10), 2, shuffle=True, seed=0)
    state = {**loader.state_dict(), "batches": batches}
    with pytest.raises(ValueError, match=f"handed out {batches} batches of a pass of 5"):
        loader.load_state_dict(state)
    assert len(list(loader)) == 5


def test_mse_of_float32_input_and_int64_target_is_float32_as_in_pytorch():
    x = minigrad.Tensor(numpy.array([1.0, 2.0, 4.0], numpy.float32), requires_grad=True)
    loss = nn.MSELoss()(x, minigrad.Tensor(numpy.array([1, 2, 3])))
    assert loss.dtype == numpy.float32 and math.isclose(float(loss.data), 1 / 3, rel_tol=1e-6)
    loss.backward()
    assert x.grad.dtype == numpy.float32


def test_mse_dtype_matches_pytorch():
    torch = pytest.importorskip("torch")
    for target in (numpy.array([1, 2, 3]), numpy.array([1.0, 2.0, 3.0])):
        x = numpy.array([1.0, 2.0, 4.0], numpy.float32)
        ours = nn.MSELoss()(minigrad.Tensor(x), minigrad.Tensor(target))
        theirs = torch.nn.MSELoss()(torch.from_numpy(x), torch.from_numpy(target))
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")


def test_lbfgs_without_a_line_search_refuses_a_nan_closure_and_keeps_finite_parameters():
    w = nn.Parameter(numpy.array([1.0, 2.0]))
    optimizer = optim.LBFGS([w], lr=1, max_iter=5)
    calls = []

    def closure():
        optimizer.zero_grad()
        calls.append(1)
        loss = (w * w).sum() * (float("nan") if len(calls) > 1 else 1.0)
        loss.backward()
        return loss
    with pytest.raises(FloatingPointError, match="non-finite loss \\(nan\\) after iteration 1"):
        optimizer.step(closure)
    assert w.data.tolist() == [1.0, 2.0]
    with pytest.raises(FloatingPointError, match="at the current parameters"):
        optimizer.step(closure)
