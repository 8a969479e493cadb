"""Solutions to the exercises of tutorial 2, derivatives of derivatives."""
import numpy as np

import minigrad


def quadratic_sine_hessian(A, x):
    """∇²(½ xᵀAx + Σ exp xᵢ) = (A + Aᵀ)/2 + diag(exp x); A symmetric here."""
    return 0.5 * (A + A.T) + np.diag(np.exp(x))


def finite_difference_hvp(model, loss_fn, x, y, v, eps=1e-5):
    """Central difference of the gradient along the flat direction ``v``."""
    params = list(model.parameters())
    sizes = [p.numel() for p in params]
    pieces = np.split(v, np.cumsum(sizes)[:-1])
    originals = [p.data.copy() for p in params]
    gradients = []
    for sign in (1.0, -1.0):
        for p, original, piece in zip(params, originals, pieces):
            p.data = original + sign * eps * piece.reshape(p.shape)
        grads = minigrad.grad(loss_fn(model(x), y), params)
        gradients.append(np.concatenate([g.numpy().ravel() for g in grads]))
    for p, original in zip(params, originals):
        p.data = original
    return (gradients[0] - gradients[1]) / (2 * eps)
