"""``class_gradients`` back-propagates each class's own samples: exact against the
full-batch computation (one backward pass of the whole batch per class) in float64."""
import numpy
import pytest

import minigrad
import models
from minigrad import nn
from minigrad.curvature import class_gradients
from minigrad.curvature.flat import arrays_to_vector
from tests.helpers import float64_parameters  # noqa: F401  (float64 defaults)

pytestmark = pytest.mark.skipif(
    minigrad.backend_name() != "numpy",
    reason="the reference is a NumPy loop on host arrays; on a device the class gradients run "
           "in the class-subspace step of tests/test_device_transfers.py")


def full_batch_class_gradients(model, x, labels, classes):
    """The computation ``class_gradients`` used before: the logits of the whole batch,
    back-propagated once per class with the cotangent [y_μ = k] / |D_k| in column k."""
    params = list(model.parameters())
    logits = model(minigrad.tensor(x))
    counts = numpy.bincount(labels, minlength=classes)
    rows = []
    for k in range(classes):
        cotangent = numpy.zeros(logits.shape)
        cotangent[:, k] = (labels == k) / max(counts[k], 1)
        grads = minigrad.grad(logits, params, grad_outputs=minigrad.tensor(cotangent),
                              retain_graph=True, allow_unused=True)
        rows.append(arrays_to_vector([numpy.zeros_like(p.data) if g is None else g.data
                                      for p, g in zip(params, grads)]))
    return numpy.stack(rows)


def small_cnn_batch(n=24, seed=0):
    rng = numpy.random.default_rng(seed)
    x = rng.standard_normal((n, 1, 12, 12))
    labels = rng.integers(0, 9, size=n)          # class 9 absent: a zero row
    nn.manual_seed(seed)
    return models.small_cnn(), x, labels


def test_per_class_back_propagation_equals_the_full_batch_computation():
    model, x, labels = small_cnn_batch()
    expected = full_batch_class_gradients(model, x, labels, 10)
    computed = minigrad.to_host(class_gradients(model, x, labels))
    assert computed.dtype == numpy.float64
    numpy.testing.assert_allclose(computed, expected, rtol=1e-12, atol=1e-15)
    present = numpy.bincount(labels, minlength=10) > 0
    assert not present[9]
    numpy.testing.assert_array_equal(numpy.abs(computed).max(axis=1) > 0, present)


def test_each_class_forwards_only_its_own_samples():
    model, x, labels = small_cnn_batch()
    sizes = []
    model[0].register_forward_pre_hook(lambda module, args: sizes.append(args[0].shape[0]))
    class_gradients(model, x, labels)
    present = numpy.bincount(labels, minlength=10)
    assert sorted(sizes[1:]) == sorted(int(c) for c in present if c)   # after one 1-sample probe
    assert sum(sizes[1:]) == len(x)


def test_batch_norm_in_training_keeps_the_full_batch_computation():
    rng = numpy.random.default_rng(1)
    x, labels = rng.standard_normal((16, 5)), rng.integers(0, 3, size=16)
    nn.manual_seed(1)
    model = nn.Sequential(nn.Linear(5, 6), nn.BatchNorm1d(6), nn.Tanh(), nn.Linear(6, 3))
    expected = full_batch_class_gradients(model, x, labels, 3)
    numpy.testing.assert_allclose(minigrad.to_host(class_gradients(model, x, labels)), expected,
                                  rtol=1e-12, atol=1e-15)
    model.eval()
    numpy.testing.assert_allclose(minigrad.to_host(class_gradients(model, x, labels)),
                                  full_batch_class_gradients(model, x, labels, 3),
                                  rtol=1e-12, atol=1e-15)
