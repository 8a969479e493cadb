"""KFAC-expand and KFAC-reduce (Eschenhagen et al. 2023) on layers with a shared (token) axis.

The exactness cases of ``minigrad/curvature/layerwise/weight_sharing.py``, with exact loss-Hessian
columns (KFLR) on deep linear networks applied to (N, S, d) token inputs, against the dense
Gauss-Newton block from the autodiff half (``ggn_operator``):

* expand setting (per-token outputs, mean squared error, N = 3, S = 4): expand is exact for every
  layer, reduce is not;
* reduce setting (tokens averaged before the last layer, mean squared error, N = 3): reduce is
  exact for every layer, expand is not (the last layer has no shared axis: both exact there);
* reduce setting with cross-entropy: reduce is exact at N = 1, not at N = 3 (the loss Hessian
  differs between samples);
* without a shared axis (S = 1) both are the usual KFAC; on a transformer the factors of every
  ``Linear`` and attention in-projection exist for both, and the head's KFLR block is exact at
  N = 1.
"""
import numpy
import pytest

import minigrad
import models
import optim
from minigrad import curvature, nn
from tests.helpers import float64_default

N, S = 3, 4


class MeanTokens(nn.Module):
    """(N, S, d) → (N, d): the mean over the tokens."""

    def forward(self, x):
        return x.mean(1)


def dense_linear_blocks(model, loss, x, y, last=None):
    """The exact GGN blocks of the ``Linear`` layers (weight and bias), in order (of the ``last``
    ones only, when given), from GGN-vector products with their unit vectors."""
    operator = curvature.ggn_operator(model, loss, x, y)
    size = operator.shape[0]
    ranges, start = {}, 0
    for module in model.modules():
        for p in module._parameters.values():
            if p is not None:
                ranges.setdefault(id(module), [start, start])[1] = start + p.numel()
                start += p.numel()
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    blocks = []
    for module in linears[-last:] if last else linears:
        a, b = ranges[id(module)]
        columns = [minigrad.to_host(operator.matvec(operator.xp.asarray(e)))[a:b]
                   for e in numpy.eye(size)[a:b]]
        blocks.append(numpy.stack(columns, axis=1))
    return blocks


def errors(model, loss, x, y, approx):
    reference = dense_linear_blocks(model, loss, x, y)
    factors = curvature.kflr(model, loss, x, y, approx=approx)
    assert len(factors) == len(reference)
    return [float(abs(minigrad.to_host(f.to_dense()) - r).max() / abs(r).max())
            for f, r in zip(factors, reference)]


def deep_linear(setting, loss, batch=N, seed=0):
    rng = numpy.random.default_rng(seed)
    with float64_default():
        nn.manual_seed(seed)
        layers = [nn.Linear(3, 4), nn.Linear(4, 2)]
        if setting == "reduce":
            layers.append(MeanTokens())
        model = nn.Sequential(*layers, nn.Linear(2, 2))
        x = minigrad.tensor(rng.standard_normal((batch, S, 3)))
    if isinstance(loss, nn.CrossEntropyLoss):
        y = rng.integers(0, 2, batch)
    else:
        y = minigrad.tensor(rng.standard_normal((batch, S, 2) if setting == "expand"
                                                else (batch, 2)))
    return model, loss, x, y


def test_expand_is_exact_in_the_expand_setting():
    case = deep_linear("expand", nn.MSELoss())
    assert max(errors(*case, "expand")) < 1e-12
    assert min(errors(*case, "reduce")) > 1e-2


def test_reduce_is_exact_in_the_reduce_setting():
    case = deep_linear("reduce", nn.MSELoss())
    assert max(errors(*case, "reduce")) < 1e-12
    expand = errors(*case, "expand")
    assert min(expand[:2]) > 1e-2 and expand[2] < 1e-12


def test_reduce_with_cross_entropy_is_exact_for_one_sample_only():
    assert max(errors(*deep_linear("reduce", nn.CrossEntropyLoss(), batch=1), "reduce")) < 1e-12
    assert max(errors(*deep_linear("reduce", nn.CrossEntropyLoss()), "reduce")[:2]) > 1e-6


def test_both_are_the_usual_kfac_without_a_shared_axis():
    rng = numpy.random.default_rng(1)
    with float64_default():
        nn.manual_seed(1)
        model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
        x = minigrad.tensor(rng.standard_normal((5, 3)))
    y = rng.integers(0, 2, 5)
    for kind in (curvature.kflr, lambda *a, **k: curvature.kfac(*a, seed=3, **k)):
        expand = kind(model, nn.CrossEntropyLoss(), x, y, approx="expand")
        reduce = kind(model, nn.CrossEntropyLoss(), x, y, approx="reduce")
        for e, r in zip(expand, reduce):
            for reduced, expanded in ((r.A, e.A), (r.G, e.G)):
                numpy.testing.assert_allclose(minigrad.to_host(reduced),
                                              minigrad.to_host(expanded), rtol=1e-12)


def test_transformer_factors_for_every_linear_and_in_projection_and_an_exact_head():
    with float64_default():
        nn.manual_seed(0)
        model = models.vit(width=8, heads=2, depth=2, mlp_width=8)
        x = minigrad.tensor(numpy.random.default_rng(0).standard_normal((1, 1, 28, 28)))
    y = numpy.array([3])
    loss = nn.CrossEntropyLoss()
    layers = [(m.in_features, m.out_features) if isinstance(m, nn.Linear) else (8, 3 * 8)
              for m in model.modules() if isinstance(m, (nn.Linear, nn.MultiheadAttention))]
    # patch embedding, 2 × (attention in-projection, output, MLP in, MLP out), head
    assert len(layers) == 10
    for approx in ("expand", "reduce"):
        factors = curvature.kflr(model, loss, x, y, approx=approx)
        assert [f.A.shape[0] for f in factors] == [fan_in + 1 for fan_in, _ in layers]
        assert [f.G.shape[0] for f in factors] == [fan_out for _, fan_out in layers]
    head = minigrad.to_host(curvature.kflr(model, loss, x, y)[-1].to_dense())
    exact = dense_linear_blocks(model, loss, x, y, last=1)[0]
    assert numpy.abs(head - exact).max() < 1e-12 * abs(head).max()


def test_unknown_approx_is_refused():
    case = deep_linear("expand", nn.MSELoss())
    with pytest.raises(ValueError, match=r"kfac: approx must be one of \('expand', 'reduce'\), "
                                         r"got 'mean'"):
        curvature.kfac(*case, approx="mean")
    with pytest.raises(ValueError, match="KFRA reads a shared axis as approx='expand' only"):
        curvature.Closure(*case).kronecker_factors("kfra", approx="reduce")
    with pytest.raises(ValueError, match="invalid approx='mean'"):
        optim.KFAC(case[0].parameters(), approx="mean")


def test_kfac_reduce_step_lowers_a_transformer_loss():
    with float64_default():
        nn.manual_seed(0)
        model = models.vit(width=8, heads=2, depth=2, mlp_width=8)
        x = minigrad.tensor(numpy.random.default_rng(0).standard_normal((4, 1, 28, 28)))
    y = numpy.array([3, 1, 4, 1])
    optimizer = optim.KFAC(model.parameters(), lr=0.05, damping=0.1, seed=0, approx="reduce")
    closure = curvature.Closure(model, nn.CrossEntropyLoss(), x, y)
    losses = [float(optimizer.step(closure).item()) for _ in range(4)]
    assert losses[-1] < losses[0]
