"""Batch norm's first and second derivatives where ``eps`` is not negligible.

With standard-normal inputs the batch variance is about 1 and ``eps = 1e-5`` changes the
derivatives by about 1e-5 relative, below the checks' tolerances. Here the variance is
comparable to ``eps``: inputs scaled by 1e-3 (variance ~1e-6 against eps = 1e-5), and unit
inputs with eps = 0.5. The training-mode op (one ``Function`` whose backward is rebuilt from
differentiable ops when differentiated again) is compared with the same formula written
with elementary ops (``(x − μ)/√(σ² + eps)·w + b``), whose derivatives the engine forms
from the primitives: gradients and Hessian-vector products in every input must agree.
"""
import numpy
import pytest

import minigrad
from minigrad import ops
from minigrad.backend import to_host
from minigrad.gradcheck import gradgradcheck
from tests.helpers import random_tensor

CASES = {"tiny variance, default eps": (1e-3, 1e-5), "unit variance, eps 0.5": (1.0, 0.5)}


def _composite(x, weight, bias, eps):
    axes = (0, 2, 3)
    mu = x.mean(dim=axes, keepdim=True)
    variance = ((x - mu) * (x - mu)).mean(dim=axes, keepdim=True)
    shape = (1, -1, 1, 1)
    return (x - mu) / (variance + eps).sqrt() * weight.reshape(shape) + bias.reshape(shape)


def _op(x, weight, bias, eps):
    return ops.batch_norm(x, None, None, weight, bias, training=True, eps=eps)


def _inputs(scale):
    x = random_tensor((3, 2, 2, 2), seed=1)
    x = minigrad.tensor(x.numpy() * scale, dtype=numpy.float64, requires_grad=True)
    return x, random_tensor((2,), seed=2, low=0.5, high=1.5), random_tensor((2,), seed=3)


def _gradients_and_hvps(fn, inputs, eps):
    """First derivatives of ⟨u, fn⟩ and their derivatives along v, for fixed random u, v."""
    rng = numpy.random.default_rng(4)
    out = fn(*inputs, eps)
    u = minigrad.tensor(rng.standard_normal(out.shape))
    grads = minigrad.grad((out * u).sum(), inputs, create_graph=True)
    vs = [minigrad.tensor(rng.standard_normal(t.shape)) for t in inputs]
    directional = sum((g * v).sum() for g, v in zip(grads, vs))
    hvps = minigrad.grad(directional, inputs, allow_unused=True)
    return [to_host(g.data) for g in grads], [None if h is None else to_host(h.data) for h in hvps]


@pytest.mark.parametrize("case", sorted(CASES))
def test_derivatives_match_the_composite_formula(case):
    scale, eps = CASES[case]
    inputs = _inputs(scale)
    grads, hvps = _gradients_and_hvps(_op, inputs, eps)
    expected_grads, expected_hvps = _gradients_and_hvps(_composite, inputs, eps)
    for name, got, expected in zip(("x", "weight", "bias"), grads, expected_grads):
        numpy.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12 * numpy.abs(
            expected).max(), err_msg=f"gradient in {name}")
    for name, got, expected in zip(("x", "weight", "bias"), hvps, expected_hvps):
        if expected is None:
            assert got is None or not got.any(), name
            continue
        numpy.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12 * numpy.abs(
            expected).max(), err_msg=f"Hessian-vector product in {name}")


def test_eps_changes_the_second_derivatives_in_these_cases():
    """The cases are ones where eps matters: without it the HVPs differ by more than 1%."""
    for scale, eps in CASES.values():
        inputs = _inputs(scale)
        _, with_eps = _gradients_and_hvps(_composite, inputs, eps)
        _, without = _gradients_and_hvps(_composite, inputs, 0.0)
        assert numpy.abs(with_eps[0] - without[0]).max() > 0.01 * numpy.abs(with_eps[0]).max()


def test_double_backward_matches_finite_differences_with_eps_half():
    assert gradgradcheck(lambda x, w, b: _op(x, w, b, 0.5), _inputs(1.0))
