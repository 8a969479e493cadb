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
# # 2. Derivatives of derivatives
#
# Every op's `backward` is written with differentiable ops, so the gradient is itself a
# graph (`create_graph=True`) and can be differentiated again: double backward. That gives
# second derivatives, exact Hessian-vector products (HVPs) `H v = ∇(∇L · v)` without ever
# forming `H`, and, one column at a time, the dense Hessian of a small net.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import minigrad
import models
from minigrad import curvature, nn
from minigrad.data import load_or_synthetic
from exercises import answer

minigrad.set_default_dtype(np.float64)
nn.manual_seed(0)
rng = np.random.default_rng(0)

# %% [markdown]
# ## f, f′ and f″ of a scalar function
#
# `minigrad.grad(f, [x], create_graph=True)` returns `f′(x)` as a tensor *with* a graph;
# differentiating its sum again gives `f″(x)` at every point of the grid at once.

# %%
grid = np.linspace(-3, 3, 121)
x = minigrad.tensor(grid, requires_grad=True)
f = x ** 2 * (-0.5 * x ** 2).exp()
(first,) = minigrad.grad(f.sum(), [x], create_graph=True)
(second,) = minigrad.grad(first.sum(), [x])
bump = np.exp(-0.5 * grid ** 2)
analytic_first = (2 * grid - grid ** 3) * bump
analytic_second = (2 - 5 * grid ** 2 + grid ** 4) * bump
assert np.allclose(first.numpy(), analytic_first) and np.allclose(second.numpy(), analytic_second)

fig, ax = plt.subplots(figsize=(6, 3.2))
ax.plot(grid, f.numpy(), label="f(x) = x² exp(−x²/2)")
ax.plot(grid, first.numpy(), label="f′ (backward)")
ax.plot(grid, second.numpy(), label="f″ (double backward)")
ax.plot(grid[::10], analytic_second[::10], "k.", label="f″ by hand")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## Hessian-vector products of a network
#
# An 8-6-3 tanh network on 64 digits (the pixels averaged down to 8 features, so the
# Hessian is small enough to show). `H v` is the gradient of `∇L · v`; `curvature.hvp` does
# the same, and `curvature.hessian` stacks `H e_k` for every coordinate `k`.

# %%
images, labels, source = load_or_synthetic("mnist", "test")
features = images[:64].reshape(64, 8, -1).mean(axis=2) / 255.0
x_small = minigrad.tensor(features - features.mean(axis=0))
y_small = minigrad.tensor(labels[:64] % 3)
model = models.mlp([8, 6, 3], activation="tanh")
loss_fn = nn.CrossEntropyLoss()
params = list(model.parameters())

loss = loss_fn(model(x_small), y_small)
grads = minigrad.grad(loss, params, create_graph=True)
v = [minigrad.tensor(rng.standard_normal(p.shape)) for p in params]
hv = minigrad.grad(grads, params, grad_outputs=v)                 # H v, one backward of ∇L
hv_flat = np.concatenate([h.numpy().ravel() for h in hv])

H = curvature.hessian(model, loss_fn, x_small, y_small)              # dense (P, P)
v_flat = np.concatenate([t.numpy().ravel() for t in v])
print(f"P = {H.shape[0]} parameters; |Hv − H·v| = {np.abs(hv_flat - H @ v_flat).max():.2e}, "
      f"|H − Hᵀ| = {np.abs(H - H.T).max():.2e}")
assert np.allclose(hv_flat, H @ v_flat) and np.allclose(H, H.T)

limit = np.abs(H).max()
fig, ax = plt.subplots(figsize=(4.5, 4))
image = ax.imshow(H, cmap="RdBu", vmin=-limit, vmax=limit)
ax.set_title(f"the Hessian of an 8-6-3 net ({source} digits)")
fig.colorbar(image)
plt.show()
eigenvalues = np.linalg.eigvalsh(H)
print(f"eigenvalues from {eigenvalues[0]:.3g} to {eigenvalues[-1]:.3g}: "
      f"{(eigenvalues < -1e-10).sum()} negative — the loss is not convex")

# %% [markdown]
# ## What an HVP costs against a gradient
#
# An HVP is one forward pass, one backward that keeps its graph, and one backward through
# that: a small constant times a gradient (Pearlmutter's trick), whatever the number of
# parameters. Timed here on a 784-128-10 network and 256 digits (medians of 5; on a loaded
# machine the ratio moves a little).

# %%
x_big = minigrad.tensor(images[:256].reshape(256, -1) / 255.0)
y_big = minigrad.tensor(labels[:256])
big = models.mlp([784, 128, 10], activation="tanh")
big_params = list(big.parameters())
direction = [minigrad.tensor(rng.standard_normal(p.shape)) for p in big_params]


def gradient():
    return minigrad.grad(loss_fn(big(x_big), y_big), big_params)


def hessian_vector_product():
    g = minigrad.grad(loss_fn(big(x_big), y_big), big_params, create_graph=True)
    return minigrad.grad(g, big_params, grad_outputs=direction)


def median_seconds(work, repeats=5):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


seconds = {"gradient": median_seconds(gradient), "HVP": median_seconds(hessian_vector_product)}
print({name: f"{1e3 * s:.1f} ms" for name, s in seconds.items()},
      f"HVP / gradient = {seconds['HVP'] / seconds['gradient']:.2f}")
fig, ax = plt.subplots(figsize=(4, 2.5))
ax.barh(list(seconds), [1e3 * s for s in seconds.values()])
ax.set_xlabel("ms (784-128-10, batch 256)")
plt.show()

# %% [markdown]
# ## Exercises
#
# **Exercise 1.** For `f(x) = ½ xᵀ A x + Σ exp(xᵢ)`, return the Hessian at `x` as a dense
# array. The check builds it column by column with double backward.

# %%
def quadratic_sine_hessian(A, x):
    ...  # your answer: an (n, n) array


# %%
A = rng.standard_normal((4, 4))
A = A + A.T
point = rng.standard_normal(4)
x_leaf = minigrad.tensor(point, requires_grad=True)
value = 0.5 * (x_leaf @ (minigrad.tensor(A) @ x_leaf)) + x_leaf.exp().sum()
(g,) = minigrad.grad(value, [x_leaf], create_graph=True)
columns = [minigrad.grad(g, [x_leaf], grad_outputs=[minigrad.tensor(e)], retain_graph=True)[0].numpy()
           for e in np.eye(4)]
assert np.allclose(answer(quadratic_sine_hessian, "derivatives_of_derivatives", A, point),
                   np.stack(columns, axis=1))

# %% [markdown]
# **Exercise 2.** A Hessian-vector product by finite differences of gradients:
# `H v ≈ (∇L(θ + εv) − ∇L(θ − εv)) / 2ε`. Write it for the small network (`model`,
# `loss_fn`, `x_small`, `y_small` above) with a flat `v`, changing `p.data` and restoring it.
# The check compares it with the exact product `H @ v`.

# %%
def finite_difference_hvp(model, loss_fn, x, y, v, eps=1e-5):
    ...  # your answer: a flat array of P entries


# %%
approximate = answer(finite_difference_hvp, "derivatives_of_derivatives",
                     model, loss_fn, x_small, y_small, v_flat)
print(f"relative error {np.linalg.norm(approximate - H @ v_flat) / np.linalg.norm(H @ v_flat):.1e}")
assert np.allclose(approximate, H @ v_flat, rtol=1e-5, atol=1e-7)
