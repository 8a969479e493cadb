"""Operators over a data set and per-parameter-subset blocks, against the concatenated batch and
the dense Hessian."""
import numpy
import pytest

import minigrad
from minigrad.curvature import ggn, ggn_operator, hessian, hessian_operator, top_eigen
from minigrad.data import DataLoader
from tests.helpers import float64_default
from tests.minigrad.curvature.matrix_free_cases import build, random_direction, relative_error


def _split(x, y, sizes):
    """``(x, y)`` cut into consecutive batches of ``sizes`` rows (uneven on purpose)."""
    bounds = numpy.cumsum([0, *sizes])
    return [(minigrad.tensor(x.data[a:b]), y[a:b] if isinstance(y, numpy.ndarray)
             else minigrad.tensor(y.data[a:b])) for a, b in zip(bounds[:-1], bounds[1:])]


@pytest.mark.parametrize("case", ["sigmoid_cross_entropy", "tanh_mse", "relu_bce"])
@pytest.mark.parametrize("make_operator", [hessian_operator, ggn_operator])
def test_a_loader_product_equals_the_concatenated_batch(case, make_operator):
    model, loss_fn, x, y = build(case)
    batches = _split(x, y, [2, 1, 2])
    v = random_direction(model)
    whole = make_operator(model, loss_fn, x, y) @ v
    over_data = make_operator(model, loss_fn, batches) @ v
    assert relative_error(over_data, whole) < 1e-12


def test_a_data_loader_gives_the_hessian_of_its_mean_loss():
    model, loss_fn, x, y = build("sigmoid_cross_entropy")
    loader = DataLoader(minigrad.to_host(x.data), numpy.asarray(y), batch_size=2)
    with float64_default():
        dense = hessian_operator(model, loss_fn, loader).to_dense()
    assert relative_error(dense, hessian(model, loss_fn, x, y)) < 1e-12


def test_a_one_shot_iterator_and_empty_data_are_refused():
    model, loss_fn, x, y = build("tanh_mse")
    with pytest.raises(TypeError, match="re-iterable"):
        hessian_operator(model, loss_fn, iter(_split(x, y, [2, 3])))
    with pytest.raises(ValueError, match="holds no batches"):
        hessian_operator(model, loss_fn, []) @ random_direction(model)


@pytest.mark.parametrize("layer", [0, 2])
def test_params_gives_one_layers_diagonal_block(layer):
    model, loss_fn, x, y = build("sigmoid_cross_entropy")
    sizes = [p.numel() for p in model.parameters()]
    start = 0 if layer == 0 else sum(sizes[:2])
    chosen = list(model[layer].parameters())
    stop = start + sum(p.numel() for p in chosen)
    full = minigrad.to_host(hessian(model, loss_fn, x, y))
    block = hessian_operator(model, loss_fn, x, y, params=chosen).to_dense()
    assert relative_error(block, full[start:stop, start:stop]) < 1e-12
    gn_block = ggn_operator(model, loss_fn, x, y, params=chosen).to_dense()
    assert relative_error(gn_block, minigrad.to_host(ggn(model, loss_fn, x, y))[start:stop,
                                                                                start:stop]) < 1e-10
    values, _ = top_eigen(hessian_operator(model, loss_fn, x, y, params=chosen), k=2)
    expected = numpy.sort(numpy.linalg.eigvalsh(full[start:stop, start:stop]))[::-1][:2]
    numpy.testing.assert_allclose(minigrad.to_host(values), expected, rtol=1e-8, atol=1e-12)


def test_params_must_be_distinct_parameters_of_the_model():
    model, loss_fn, x, y = build("tanh_mse")
    other, _, _, _ = build("tanh_mse", seed=1)
    first = next(iter(model.parameters()))
    with pytest.raises(ValueError, match="not a parameter"):
        hessian_operator(model, loss_fn, x, y, params=[next(iter(other.parameters()))])
    with pytest.raises(ValueError, match="listed twice"):
        hessian_operator(model, loss_fn, x, y, params=[first, first])
    with pytest.raises(ValueError, match="empty list"):
        hessian_operator(model, loss_fn, x, y, params=[])
