"""Solutions to the exercises of tutorial 5, second-order optimisers."""
import numpy as np


def newton_step(A, b, theta):
    """θ − A⁻¹(Aθ − b) = A⁻¹b: Newton solves a quadratic in one step."""
    return theta - np.linalg.solve(A, A @ theta - b)


def cauchy_point(g, B, radius):
    """s = −τ Δ g/‖g‖, τ = 1 if gᵀBg ≤ 0 else min(‖g‖³/(Δ gᵀBg), 1) (Nocedal & Wright, eq. 4.12)."""
    norm = np.linalg.norm(g)
    curvature = g @ B @ g
    tau = 1.0 if curvature <= 0 else min(norm ** 3 / (radius * curvature), 1.0)
    return -tau * radius * g / norm
