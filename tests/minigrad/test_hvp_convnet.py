"""Exact Hessian-vector products of a small conv net by double backward, against
central differences of the gradient.

Net (functional ops, float64): conv2d → batch_norm (training, batch statistics)
→ activation → pooling → flatten → linear → cross_entropy (mean over the batch).
For a unit direction ``v`` the exact product ``H v = ∇_θ ⟨∇_θ L, v⟩`` must match

    (∇L(θ + εv) − ∇L(θ − εv)) / 2ε        (error O(ε²))

to a relative error below 1e-6, and ``⟨u, H v⟩ = ⟨v, H u⟩`` (H is symmetric).
"""
import numpy
import pytest

import minigrad
from minigrad import ops

BATCH, CLASSES = 4, 3


def _parameters(seed):
    rng = numpy.random.default_rng(seed)
    shapes = [(3, 2, 3, 3), (3,), (3,), (3,), (CLASSES, 12), (CLASSES,)]
    return [minigrad.tensor(rng.standard_normal(s) * 0.5, dtype=numpy.float64, requires_grad=True)
            for s in shapes]


def _data(seed):
    rng = numpy.random.default_rng(seed)
    images = minigrad.tensor(rng.standard_normal((BATCH, 2, 5, 4)), dtype=numpy.float64)
    return images, rng.integers(0, CLASSES, BATCH)


NETS = {
    # conv (padding 1) → 5x4 maps, max-pool 2 → 2x2, 3 channels × 4 = 12 features
    "relu_max_pool": lambda h: ops.max_pool2d(ops.relu(h), 2),
    # smooth variant: softplus, average pooling with padding, then adaptive pooling to 2x2
    "softplus_avg_pool": lambda h: ops.adaptive_avg_pool2d(ops.avg_pool2d(ops.softplus(h), 3, 2, 1),
                                                           2),
}


def _loss(params, images, labels, head):
    conv_w, conv_b, bn_w, bn_b, fc_w, fc_b = params
    h = ops.conv2d(images, conv_w, conv_b, padding=1)
    h = ops.batch_norm(h, None, None, bn_w, bn_b, training=True)
    features = ops.flatten(head(h), 1)
    return ops.cross_entropy(ops.linear(features, fc_w, fc_b), labels)


def _gradient(params, images, labels, head, create_graph=False):
    return minigrad.grad(_loss(params, images, labels, head), params, create_graph=create_graph)


def _exact_hvp(params, images, labels, head, direction):
    grads = _gradient(params, images, labels, head, create_graph=True)
    vectors = [minigrad.tensor(d, dtype=numpy.float64) for d in direction]
    return [h.numpy() for h in minigrad.grad(grads, params, grad_outputs=vectors)]


def _finite_difference_hvp(params, images, labels, head, direction, eps):
    def gradient_at(sign):
        shifted = [minigrad.tensor(p.numpy() + sign * eps * d, dtype=numpy.float64,
                                   requires_grad=True) for p, d in zip(params, direction)]
        return [g.numpy() for g in _gradient(shifted, images, labels, head)]

    plus, minus = gradient_at(1.0), gradient_at(-1.0)
    return [(a - b) / (2 * eps) for a, b in zip(plus, minus)]


def _unit_direction(params, seed):
    rng = numpy.random.default_rng(seed)
    direction = [rng.standard_normal(p.shape) for p in params]
    norm = numpy.sqrt(sum(numpy.sum(d * d) for d in direction))
    return [d / norm for d in direction]


def _flat(arrays):
    return numpy.concatenate([a.ravel() for a in arrays])


@pytest.mark.parametrize("net", sorted(NETS))
@pytest.mark.parametrize("seed", [0, 1])
def test_exact_hvp_matches_central_differences_of_gradient(net, seed):
    params, (images, labels) = _parameters(seed), _data(seed + 10)
    direction = _unit_direction(params, seed + 20)
    exact = _flat(_exact_hvp(params, images, labels, NETS[net], direction))
    numeric = _flat(_finite_difference_hvp(params, images, labels, NETS[net], direction, 1e-5))
    error = numpy.abs(exact - numeric).max() / numpy.abs(numeric).max()
    assert error < 1e-6, f"{net}: HVP relative error {error:.3g}"


@pytest.mark.parametrize("net", sorted(NETS))
def test_hvp_is_symmetric(net):
    params, (images, labels) = _parameters(3), _data(13)
    u, v = _unit_direction(params, 4), _unit_direction(params, 5)
    hu = _flat(_exact_hvp(params, images, labels, NETS[net], u))
    hv = _flat(_exact_hvp(params, images, labels, NETS[net], v))
    numpy.testing.assert_allclose(_flat(u) @ hv, _flat(v) @ hu, rtol=1e-10)
