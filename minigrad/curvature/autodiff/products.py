"""Exact curvature-vector products of the mean batch loss, by automatic differentiation.

For ``L(θ) = loss_fn(f(x; θ), y)`` (``minigrad/curvature/README.md``),
with θ the flat ``(P,)`` parameter vector and ``z = f(x; θ)`` the network output:

    Hessian-vector product       H v = ∇_θ ⟨∇_θ L, v⟩                 (reverse over reverse)
    Gauss-Newton-vector product  G v = Jᵀ (H_z (J v)),  J = ∂z/∂θ,  H_z = ∂²L/∂z²

``H v`` back-propagates ``v`` through the graph of the gradient built with
``create_graph=True``. For ``G v``:

* ``J v`` by the double-VJP trick: ``u ↦ Jᵀ u`` is linear in a dummy output
  cotangent ``u``, so the VJP of that VJP with cotangent ``v`` is ``J v``;
* ``H_z w`` by double backward of the loss with respect to a detached copy of
  ``z`` (exact for any loss, independent of closed-form loss Hessians);
* ``Jᵀ w`` by one more VJP through the network.

Both differentiate the real graph, so they are exact in every mode the model
runs in, including batch normalisation in training mode, where the samples are
coupled through the batch statistics.

``HessianProduct`` and ``GaussNewtonProduct`` build the graphs from one forward
pass at the current parameters and then apply the product to many vectors
(each product costs one or three backward passes, no forward). They keep the
batch ``loss`` (a Tensor) and the parameter ``gradient`` (arrays; a
Gauss-Newton product gets it as ``Jᵀ ∇_z L`` from its own graph), so a
second-order step needs no other forward pass. They are snapshots: the
parameters must not change while one is in use. By default they put the
model's buffers back afterwards; ``updates_buffers=True`` lets batch norm move
its running statistics once, as the forward of a training step does. The functions ``hvp`` and
``ggnvp`` build one and apply it once. Products take and return either flat
``(P,)`` vectors (``__call__``) or lists of parameter-shaped arrays
(``apply``). ``hvp_fd`` (central differences of the gradient) is a check;
``hessian`` assembles the dense ``(P, P)`` matrix from ``P`` products with unit
vectors (small nets only).
"""
import contextlib

from ...autograd.engine import grad
from ...autograd.grad_mode import enable_grad
from ...tensor import Tensor
from ..evaluation import as_input, batch_loss, preserved_buffers, scalar_loss
from ..memory import require_memory
from ..flat import (arrays_to_vector, chosen_parameters, flat_gradient, num_parameters,
                   parameter_list, vector_to_arrays)


def _as_parameter_arrays(vectors, params, who):
    """``vectors`` as arrays on the parameters' array module and dtype, shapes checked."""
    vectors = list(vectors)
    if len(vectors) != len(params):
        raise ValueError(f"{who}: got {len(vectors)} vectors for {len(params)} parameters")
    arrays = []
    for i, (v, p) in enumerate(zip(vectors, params)):
        v = v.data if isinstance(v, Tensor) else v
        if tuple(v.shape) != p.shape:
            raise ValueError(f"{who}: vector {i} has shape {tuple(v.shape)} but parameter {i} "
                             f"has shape {p.shape}")
        arrays.append(p.xp.asarray(v, dtype=p.dtype))
    return arrays


def _backward_product(outputs, inputs, cotangents, retain_graph):
    """``Σ_i ∂⟨outputs_i, cotangents_i⟩ / ∂inputs`` as arrays (zeros where nothing depends on one).

    Outputs that do not require grad are constants (their derivative is zero),
    e.g. the gradient of a loss that is linear in some parameters.
    """
    pairs = [(o, c) for o, c in zip(outputs, cotangents) if o is not None and o.requires_grad]
    if not pairs:
        return [t.xp.zeros_like(t.data) for t in inputs]
    result = grad([o for o, _ in pairs], inputs, grad_outputs=[Tensor(c) for _, c in pairs],
                  retain_graph=retain_graph, allow_unused=True)
    return [t.xp.zeros_like(t.data) if g is None else g.data for t, g in zip(inputs, result)]


def _buffer_guard(model, updates_buffers):
    """Restore the buffers on exit unless the forward is a training step's (``updates_buffers``)."""
    return contextlib.nullcontext() if updates_buffers else preserved_buffers(model)


def _arrays_or_zeros(gradients, params):
    """Gradient Tensors as arrays; zeros for a parameter the loss does not depend on."""
    return [p.xp.zeros_like(p.data) if g is None else g.data for p, g in zip(params, gradients)]


class _Product:
    """Shared interface: ``apply`` on parameter-shaped lists, ``__call__`` on flat vectors.

    ``params`` restricts the product to a subset of the parameters (default: all, in
    ``model.parameters()`` order): the vectors then live in the subset's flat layout, and the
    product is the subset's diagonal block of the curvature matrix, e.g. one layer's block.
    """

    def __init__(self, model, params=None):
        self.params = chosen_parameters(model, params)
        self.size = num_parameters(self.params)
        self.dtype = self.params[0].dtype
        self.xp = self.params[0].xp

    def apply(self, vectors, retain_graph=True):
        """The product with ``vectors`` (one array per parameter), as a list of arrays."""
        raise NotImplementedError

    def __call__(self, v, retain_graph=True):
        """The product with a flat ``(P,)`` vector, as a ``(P,)`` array."""
        v = v.data if isinstance(v, Tensor) else v
        if v.ndim != 1 or v.shape[0] != self.size:
            raise ValueError(f"{type(self).__name__}: expected a vector of shape ({self.size},), "
                             f"got {tuple(v.shape)}")
        pieces = vector_to_arrays(self.xp.asarray(v, dtype=self.dtype), self.params)
        return arrays_to_vector(self.apply(pieces, retain_graph))


class HessianProduct(_Product):
    """``v ↦ H v`` at the current parameters (one forward; the gradient graph is built once)."""

    def __init__(self, model, loss_fn, x, y, updates_buffers=False, params=None):
        super().__init__(model, params)
        with enable_grad(), _buffer_guard(model, updates_buffers):
            self.output = model(as_input(x))
            self.loss = scalar_loss(loss_fn, self.output, y)
            self.gradient_graph = grad(self.loss, self.params, create_graph=True,
                                       allow_unused=True)
        self.gradient = _arrays_or_zeros(self.gradient_graph, self.params)

    def apply(self, vectors, retain_graph=True):
        vectors = _as_parameter_arrays(vectors, self.params, "HessianProduct")
        with enable_grad():
            return _backward_product(self.gradient_graph, self.params, vectors, retain_graph)


class GaussNewtonProduct(_Product):
    """``v ↦ Jᵀ H_z J v`` at the current parameters (one forward; the graphs are built once)."""

    def __init__(self, model, loss_fn, x, y, updates_buffers=False, params=None):
        super().__init__(model, params)
        with enable_grad(), _buffer_guard(model, updates_buffers):
            self.output = model(as_input(x))
            if not self.output.requires_grad:
                raise ValueError(f"the output of {type(model).__name__} does not depend on "
                                 "its parameters")
            self.cotangent = Tensor(self.xp.zeros(self.output.shape, dtype=self.output.dtype),
                                    requires_grad=True)
            self.transposed_jacobian_product = grad(self.output, self.params,
                                                    grad_outputs=self.cotangent,
                                                    create_graph=True, allow_unused=True)
            self.detached_output = Tensor(self.output.data, requires_grad=True)
            self.loss = scalar_loss(loss_fn, self.detached_output, y)
            self.output_gradient = grad(self.loss, self.detached_output, create_graph=True)
        self._gradient = None

    @property
    def gradient(self):
        """``∇_θ L = Jᵀ ∇_z L`` as arrays, by one backward pass through the kept graph (once)."""
        if self._gradient is None:
            with enable_grad():
                self._gradient = _backward_product([self.output], self.params,
                                                   [self.output_gradient[0].data],
                                                   retain_graph=True)
        return self._gradient

    def apply(self, vectors, retain_graph=True):
        vectors = _as_parameter_arrays(vectors, self.params, "GaussNewtonProduct")
        with enable_grad():
            jv = _backward_product(self.transposed_jacobian_product, [self.cotangent],
                                   vectors, retain_graph=True)
            hjv = _backward_product(self.output_gradient, [self.detached_output], jv,
                                    retain_graph=True)
            return _backward_product([self.output], self.params, hjv, retain_graph)


def hvp(model, loss_fn, x, y, v):
    """Exact Hessian-vector product ``H v`` of the mean loss; ``v`` and the result are ``(P,)``."""
    return HessianProduct(model, loss_fn, x, y)(v, retain_graph=False)


def ggnvp(model, loss_fn, x, y, v):
    """Exact Gauss-Newton-vector product ``Jᵀ H_z J v``; ``v`` and the result are ``(P,)``."""
    return GaussNewtonProduct(model, loss_fn, x, y)(v, retain_graph=False)


def hvp_fd(model, loss_fn, x, y, v, eps=1e-6):
    """Central-difference check ``(∇L(θ + εv) − ∇L(θ − εv)) / 2ε`` (use float64).

    The parameters are moved and put back; the model is left as it was.
    """
    params = parameter_list(model)
    v = v.data if isinstance(v, Tensor) else v
    steps = vector_to_arrays(params[0].xp.asarray(v, dtype=params[0].dtype), params)
    originals = [p.data for p in params]
    gradients = []
    try:
        for sign in (1.0, -1.0):
            for p, original, step in zip(params, originals, steps):
                p.data = original + sign * eps * step
            gradients.append(flat_gradient(model, loss_fn, x, y))
    finally:
        for p, original in zip(params, originals):
            p.data = original
    return (gradients[0] - gradients[1]) / (2 * eps)


def hessian(model, loss_fn, x, y):
    """The dense ``(P, P)`` Hessian of the mean loss; column ``k`` is ``H e_k``.

    ``MSELoss`` on a linear model ``W x`` with K outputs averages ``(W x_n − y_n)²`` over all
    N·K entries, so its Hessian in the row-major ``vec(W)`` is ``(2/K) I_K ⊗ XᵀX / N``:

    >>> import numpy
    >>> import minigrad
    >>> from minigrad import curvature, nn
    >>> minigrad.set_default_dtype(numpy.float64)
    >>> model = nn.Linear(3, 2, bias=False)
    >>> X = numpy.random.default_rng(0).standard_normal((5, 3))
    >>> H = curvature.hessian(model, nn.MSELoss(), minigrad.tensor(X),
    ...                       minigrad.tensor(numpy.zeros((5, 2))))
    >>> bool(numpy.allclose(minigrad.to_host(H), (2 / 2) * numpy.kron(numpy.eye(2), X.T @ X / 5)))
    True
    >>> minigrad.set_default_dtype(numpy.float32)
    """
    params = parameter_list(model)
    size = num_parameters(params)
    require_memory("hessian", [(size, size)], params[0].dtype,
                   "hessian_operator(model, loss_fn, x, y) applies it without forming it")
    product = HessianProduct(model, loss_fn, x, y)
    xp, size = product.xp, product.size
    columns = []
    for k in range(size):
        unit = xp.zeros(size, dtype=product.dtype)
        unit[k] = 1
        columns.append(product(unit, retain_graph=k < size - 1))
    return xp.stack(columns, axis=1)
