"""Solutions to the exercises of tutorial 3, the layerwise Hessian recursion."""
import numpy as np


def cross_entropy_hessian(z, y):
    """diag(p) − p pᵀ with p = softmax(z) (it does not depend on y)."""
    p = np.exp(z - z.max())
    p /= p.sum()
    return np.diag(p) - np.outer(p, p)


def sigmoid_recursion_step(h, W, H_next, g_next):
    """H = B Wᵀ H_next W B + diag(σ″(h) ⊙ Wᵀ g_next), B = diag(σ′(h)); σ′ = s(1−s), σ″ = σ′(1−2s)."""
    s = 1.0 / (1.0 + np.exp(-h))
    first = s * (1 - s)
    second = first * (1 - 2 * s)
    B = np.diag(first)
    return B @ W.T @ H_next @ W @ B + np.diag(second * (W.T @ g_next))
