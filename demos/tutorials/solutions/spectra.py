"""Solutions to the exercises of tutorial 6, spectra during training."""
import numpy as np


def power_iteration(hvp, size, iterations, rng):
    """The Rayleigh quotient after ``iterations`` normalised products (largest |eigenvalue|)."""
    v = rng.standard_normal(size)
    v /= np.linalg.norm(v)
    for _ in range(iterations):
        v = hvp(v)
        v /= np.linalg.norm(v)
    return float(v @ hvp(v))


def hutchinson(hvp, size, probes, rng):
    """Mean of zᵀHz over Rademacher z."""
    samples = []
    for _ in range(probes):
        z = rng.choice([-1.0, 1.0], size)
        samples.append(z @ hvp(z))
    return float(np.mean(samples))
