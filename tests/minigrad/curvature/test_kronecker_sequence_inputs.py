"""KFLR factors of a Linear layer applied to a sequence ``(N, S, in)``, against their definitions.

A model that is not a chain goes through the engine's backward (``capture.py``), where a
Linear layer may see inputs with a shared axis S (curvlinops' "expand" setting, as for
Conv2d positions): ``A = (1/(N·S)) Σ_{n,s} ā ā^T`` with ``ā = [a; 1]``, and
``G = Σ_n Σ_s Gpre[(n, s, :), (n, s, :)]`` from the exact Gauss-Newton matrix of the loss
in the layer output.
"""
import numpy

import minigrad
from minigrad import nn
from minigrad.curvature import kflr
from tests.minigrad.curvature.layerwise_reference import (
    _inputs, float64_models, host, output_hessian)


class SequenceNet(nn.Module):
    """Linear on each of the S positions → Tanh → flatten the positions → Linear."""

    def __init__(self):
        super().__init__()
        self.positionwise = nn.Linear(3, 4)
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        return self.head(self.positionwise(x).tanh().reshape(x.shape[0], -1))


def test_linear_on_a_sequence_follows_the_shared_axis_definitions():
    with float64_models(0):
        model = SequenceNet()
    loss, x, y = nn.MSELoss(), _inputs((3, 2, 3), 1), _inputs((3, 2), 2)
    rows = host(x.data).reshape(6, 3)
    rows = numpy.hstack([rows, numpy.ones((6, 1))])
    h = minigrad.Tensor(model.positionwise(x).data, requires_grad=True)
    z = model.head(h.tanh().reshape(3, -1))
    flat = z.reshape(-1)
    J = numpy.array([host(minigrad.grad(flat[i], [h], retain_graph=True)[0].data).ravel()
                     for i in range(flat.shape[0])])
    Gpre = (J.T @ output_hessian(loss, z.detach(), y) @ J).reshape(3, 2, 4, 3, 2, 4)
    expected_G = sum(Gpre[n, s, :, n, s, :] for n in range(3) for s in range(2))
    factors = kflr(model, loss, x, y)[0]
    numpy.testing.assert_allclose(host(factors.A), rows.T @ rows / 6, rtol=1e-10, atol=1e-14)
    numpy.testing.assert_allclose(host(factors.G), expected_G, rtol=1e-10, atol=1e-14)
