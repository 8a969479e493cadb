# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---


# %% [markdown]
# # 6. Spectra during training
#
# The Hessian of a network with thousands of parameters is never formed: everything below
# uses Hessian-vector products only (tutorial 2).
#
# - **Lanczos** (`curvature.top_eigen`) finds the extreme eigenvalues and eigenvectors from a
#   few dozen products.
# - **Stochastic Lanczos quadrature** (`curvature.spectral_density`; Ghorbani, Krishnan &
#   Xiao, "An Investigation into Neural Net Optimization via Hessian Eigenvalue Density",
#   2019) turns the same iteration from random probes into a smoothed density of *all*
#   eigenvalues.
# - The **class-gradient subspace** (`curvature.class_gradients`): the gradients of the C
#   class outputs span a C-dimensional space, and the top of the Hessian's spectrum lives
#   nearly in it (Gur-Ari, Roberts & Dyer, "Gradient Descent Happens in a Tiny Subspace",
#   2018; the basis of Tuddenham, Prügel-Bennett & Hare's quasi-Newton method).
#
# We watch all three while a 49-32-10 network trains on 500 digits shrunk to 7×7 pixels.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minigrad
import models
import optim
from minigrad import curvature, nn
from minigrad.data import load_or_synthetic
from exercises import answer

minigrad.set_default_dtype(np.float64)
nn.manual_seed(0)
rng = np.random.default_rng(0)

images, labels, source = load_or_synthetic("mnist", "test")
pixels = images[:500].reshape(500, 7, 4, 7, 4).mean(axis=(2, 4)).reshape(500, 49) / 255.0
x = minigrad.tensor((pixels - pixels.mean(axis=0)) / (pixels.std(axis=0) + 0.05))   # 7×7 digits
y = minigrad.tensor(labels[:500])
model = models.mlp([49, 32, 10], activation="tanh")
loss_fn = nn.CrossEntropyLoss()
optimizer = optim.SGD(model.parameters(), lr=0.3)
closure = curvature.Closure(model, loss_fn, x, y)
print(f"P = {curvature.num_parameters(model.parameters())} parameters, {source} digits")

# %% [markdown]
# ## Train, and look at the curvature every 20 steps

# %%
snapshots = {}
for step in range(41):
    if step % 20 == 0:
        op = curvature.hessian_operator(model, loss_fn, x, y)
        values, vectors = curvature.top_eigen(op, k=10, iters=30, seed=0)
        grid, density = curvature.spectral_density(op, n_probes=1, n_iters=30, seed=0)
        overlap = curvature.subspace_overlap(vectors, curvature.class_gradients(model, x, y).T)
        snapshots[step] = dict(loss=closure.loss_value(), values=values, grid=grid,
                               density=density, overlap=overlap)
        print(f"step {step:2d}: loss {snapshots[step]['loss']:.3f}, top eigenvalue "
              f"{values.max():.3f}, overlap of the top-10 space with the class gradients "
              f"{overlap:.2f}")
    optimizer.step(closure)

# %%
fig, axes = plt.subplots(1, 3, figsize=(14, 3.6))
for step, snap in snapshots.items():
    axes[0].semilogy(snap["grid"], snap["density"] + 1e-8, label=f"step {step}")
    axes[1].plot(range(1, 11), np.sort(snap["values"])[::-1], "o-", label=f"step {step}")
axes[0].set_title("eigenvalue density (SLQ)")
axes[0].set_xlabel("eigenvalue")
axes[1].set_title("top 10 eigenvalues (Lanczos)")
axes[1].set_xlabel("rank")
axes[2].bar([str(s) for s in snapshots], [snap["overlap"] for snap in snapshots.values()])
axes[2].set_title("overlap: top-10 eigenspace vs class gradients")
axes[2].set_xlabel("step")
axes[2].set_ylim(0, 1)
for ax in axes[:2]:
    ax.legend()
plt.show()

# %% [markdown]
# A bulk of eigenvalues near zero and a few outliers, which grow as training sharpens the
# loss: the outliers are (roughly) as many as the classes, and their eigenvectors lie
# largely in the span of the class gradients.
#
# ## Checking Lanczos against the dense Hessian
#
# On a network small enough to form `H`, the Lanczos eigenvalues are the dense ones.

# %%
tiny = models.mlp([49, 4, 10], activation="tanh")
x_tiny, y_tiny = x[:64], y[:64]
dense = curvature.hessian(tiny, loss_fn, x_tiny, y_tiny)
lanczos_values, _ = curvature.top_eigen(curvature.hessian_operator(tiny, loss_fn, x_tiny, y_tiny),
                                        k=3, seed=0)
dense_values = np.linalg.eigvalsh(dense)
print("Lanczos", np.sort(lanczos_values)[::-1], "dense", dense_values[::-1][:3])
assert np.allclose(np.sort(lanczos_values), dense_values[-3:], rtol=1e-6)

# %% [markdown]
# ## Exercises
#
# **Exercise 1.** Power iteration: repeat `v ← H v / ‖H v‖` with `hvp(v)` (a function of a
# flat vector) and return the Rayleigh quotient `vᵀHv` after `iterations` steps. The check
# compares it with the dense top eigenvalue of `tiny`.

# %%
def power_iteration(hvp, size, iterations, rng):
    ...  # your answer: a float


# %%
dense_top = np.abs(dense_values).max()
found = answer(power_iteration, "spectra", lambda v: dense @ v, dense.shape[0], 500, rng)
assert np.isclose(abs(found), dense_top, rtol=1e-4)

# %% [markdown]
# **Exercise 2.** Hutchinson's estimator: `tr(H) = E[zᵀHz]` for random signs `z`. Return
# the mean of `zᵀHz` over `probes` Rademacher vectors. The check compares it with the dense
# trace within five standard errors.

# %%
def hutchinson(hvp, size, probes, rng):
    ...  # your answer: a float


# %%
probes = 400
estimate = answer(hutchinson, "spectra", lambda v: dense @ v, dense.shape[0], probes, rng)
spread = np.sqrt(2 * (np.sum(dense ** 2) - np.sum(np.diag(dense) ** 2)) / probes)
print(f"estimate {estimate:.4f}, exact {np.trace(dense):.4f}, standard error {spread:.4f}")
assert abs(estimate - np.trace(dense)) < 5 * spread
