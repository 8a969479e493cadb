"""``minigrad.grad(outputs, inputs)`` computes only the input gradients on a path to ``inputs``.

PyTorch's ``torch.autograd.grad`` prunes the graph per input, not only per node: asking for the
gradient at a hidden layer's output computes no weight gradients below it. Each op's backward
sees the pruned flags in ``needs_input_grad`` for that pass; ``backward()`` (all leaves) and a
later call asking for the weights see the recorded ones again.
"""
import numpy

import minigrad
from minigrad import nn
from minigrad.ops import linalg
from tests.helpers import float64_parameters  # noqa: F401  (float64 defaults)


def _flags_seen(monkeypatch):
    """Record ``(x.shape, weight.shape, needs_input_grad)`` of every ``Affine`` backward (a
    ``Linear`` layer's op)."""
    seen, backward = [], linalg.Affine.backward

    def recording(self, g):
        seen.append((self.inputs[0].shape, self.inputs[1].shape, self.needs_input_grad))
        return backward(self, g)

    monkeypatch.setattr(linalg.Affine, "backward", recording)
    return seen


def _model_and_input():
    nn.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3))
    return model, minigrad.tensor(numpy.random.default_rng(0).standard_normal((2, 4)))


def test_gradient_at_a_hidden_output_computes_no_weight_gradient(monkeypatch):
    model, x = _model_and_input()
    hidden = model[1](model[0](x))
    loss = (model[2](hidden) ** 2).sum()
    seen = _flags_seen(monkeypatch)
    (g,) = minigrad.grad(loss, [hidden], retain_graph=True)
    assert seen == [((2, 5), (3, 5), (True, False, False))]
    weight = model[2].weight.numpy()
    expected = 2 * (hidden.numpy() @ weight.T + model[2].bias.numpy()) @ weight
    numpy.testing.assert_allclose(minigrad.backend.to_host(g.data), expected, rtol=1e-12)


def test_recorded_flags_return_after_a_pruned_pass(monkeypatch):
    model, x = _model_and_input()
    hidden = model[1](model[0](x))
    loss = (model[2](hidden) ** 2).sum()
    seen = _flags_seen(monkeypatch)
    minigrad.grad(loss, [hidden], retain_graph=True)
    loss.backward()
    assert [flags for _, _, flags in seen[1:]] == [(True, True, True), (False, True, True)]
    assert model[0].weight.grad is not None and model[2].weight.grad is not None
