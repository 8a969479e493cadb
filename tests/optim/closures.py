"""Test doubles for optimizer closures: a loss function of explicit parameters.

``AutogradClosure(loss_fn, params)`` follows the closure contract of
``minigrad.curvature.Closure``: calling it zeroes the grads, evaluates
``loss_fn()`` (a scalar Tensor built from ``params``), back-propagates and
returns the loss; ``loss_value()`` is the forward only; ``hessian_product()``
does what calling it does, keeping the gradient's graph, and returns the
operator of exact Hessian-vector products by double backward. ``calls``
counts evaluations.
"""
import numpy

import minigrad


class AutogradClosure:
    def __init__(self, loss_fn, params):
        self.loss_fn, self.params = loss_fn, list(params)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        for p in self.params:
            p.grad = None
        loss = self.loss_fn()
        loss.backward()
        return loss

    def loss_value(self):
        self.calls += 1
        with minigrad.no_grad():
            return float(self.loss_fn().item())

    def hessian_product(self, backward=True):
        from tests.optim.curvature_doubles import ListProduct
        self.calls += 1
        loss = self.loss_fn()
        grads = minigrad.grad(loss, self.params, create_graph=True)
        if backward:
            for p, g in zip(self.params, grads):
                p.grad = g.detach()

        def multiply(vectors):
            products = minigrad.grad(list(grads), self.params, retain_graph=True,
                                     grad_outputs=[minigrad.Tensor(v) for v in vectors])
            return [h.data for h in products]
        return ListProduct(multiply, loss)


def parameter(values):
    """A float64 leaf Parameter on the active backend."""
    from minigrad.nn import Parameter
    return Parameter(minigrad.tensor(numpy.array(values, dtype=numpy.float64)))


def diagonal_quadratic(curvatures, centres, starts):
    """Parameters and closure of ``L = Σ_i ½ Σ h_i ⊙ (θ_i − c_i)²`` (gradient h ⊙ (θ − c))."""
    params = [parameter(s) for s in starts]
    hs = [minigrad.tensor(numpy.asarray(h, dtype=numpy.float64)) for h in curvatures]
    cs = [minigrad.tensor(numpy.asarray(c, dtype=numpy.float64)) for c in centres]

    def loss_fn():
        total = None
        for p, h, c in zip(params, hs, cs):
            d = p - c
            term = (h * d * d).sum() * 0.5
            total = term if total is None else total + term
        return total

    return params, AutogradClosure(loss_fn, params)


def rosenbrock_problem(start=(-1.2, 1.0)):
    """One parameter (x, y) and the closure of ``(1 − x)² + 100 (y − x²)²``."""
    p = parameter(start)

    def loss_fn():
        x, y = p[0], p[1]
        return (1 - x) ** 2 + 100 * (y - x * x) ** 2

    return p, AutogradClosure(loss_fn, [p])


def host(array):
    return minigrad.to_host(array)
