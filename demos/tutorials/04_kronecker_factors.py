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
# # 4. Gauss-Newton and its Kronecker approximations
#
# The Gauss-Newton block of a dense layer is a batch *sum of Kronecker products*,
# `GN_λ = (1/N) Σ_n G_n ⊗ (ā_n ā_nᵀ)` with `G_n` the per-sample pre-activation Gauss-Newton
# matrix (tutorial 3). Kronecker-factored methods replace it by *one* Kronecker product of
# averages, `G ⊗ A` with `A = (1/N) Σ_n ā_n ā_nᵀ`, which is cheap to store and to invert:
# `(G ⊗ A)⁻¹ = G⁻¹ ⊗ A⁻¹`. They differ in how they get `G`:
#
# - **KFLR** (Botev et al. 2017): `G = (1/N) Σ_n G_n`, the exact per-sample matrices averaged;
# - **KFAC** (Martens & Grosse, "Optimizing Neural Networks with Kronecker-factored
#   Approximate Curvature", 2015): the same from Monte-Carlo samples of the model's own
#   predictions;
# - **KFRA** (Botev et al. 2017): the recursion of tutorial 3 run once on batch averages.
#
# - **EKFAC** (George et al., "Fast Approximate Natural Gradient Descent in a Kronecker-factored
#   Eigenbasis", 2018): KFAC's eigenbasis with the eigenvalues replaced by the diagonal of
#   the exact block in that basis (`curvature.ekfac`, `optim.EKFAC`).
# Here we compare each with the exact block (`curvature.block_ggn`) as the batch grows.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minigrad
from minigrad import curvature, nn
from minigrad.data import load_or_synthetic
from exercises import answer

minigrad.set_default_dtype(np.float64)
nn.manual_seed(0)
rng = np.random.default_rng(0)

images, labels, source = load_or_synthetic("mnist", "test")
pixels = images[:256].reshape(256, 4, 7, 4, 7).mean(axis=(2, 4)).reshape(256, 16) / 255.0
x_all = (pixels - pixels.mean(axis=0)) / (pixels.std(axis=0) + 0.05)
y_all = labels[:256]
model = nn.Sequential(nn.Linear(16, 12), nn.Tanh(), nn.Linear(12, 10))
loss_fn = nn.CrossEntropyLoss()

# %% [markdown]
# ## One batch: the exact block and its three approximations

# %%
x, y = minigrad.tensor(x_all[:64]), minigrad.tensor(y_all[:64])
exact = curvature.block_ggn(model, loss_fn, x, y)
approximations = {
    "KFLR": [f.to_dense() for f in curvature.kflr(model, loss_fn, x, y)],
    "KFRA": [f.to_dense() for f in curvature.kfra(model, loss_fn, x, y)],
    "KFAC (1 sample)": [f.to_dense() for f in curvature.kfac(model, loss_fn, x, y, seed=0)],
}
limit = np.quantile(np.abs(exact[1]), 0.99)
fig, axes = plt.subplots(1, 4, figsize=(13, 3.4))
for ax, (title, block) in zip(axes, [("exact GN", exact[1])] +
                              [(name, blocks[1]) for name, blocks in approximations.items()]):
    ax.imshow(block, cmap="RdBu", vmin=-limit, vmax=limit)
    ax.set_title(f"{title}, layer 2")
    ax.axis("off")
plt.show()


def relative_error(approximation, reference):
    return float(np.linalg.norm(approximation - reference) / np.linalg.norm(reference))


for name, blocks in approximations.items():
    print(f"{name:>16}: relative error " +
          ", ".join(f"layer {i + 1} {relative_error(b, e):.3f}" for i, (b, e) in
                    enumerate(zip(blocks, exact))))

# %% [markdown]
# ## Error against batch size
#
# With one sample there is one Kronecker product to average, and KFLR and KFRA are exact
# (the curvature README says so, and the first points check it); the more samples, the
# further a sum of Kronecker products is from one Kronecker product of averages. KFAC's
# Monte-Carlo `G` adds sampling noise on top (50 samples per input here).

# %%
batch_sizes = [1, 2, 4, 8, 16, 32, 64, 128, 256]
methods = {"KFLR": lambda x, y: curvature.kflr(model, loss_fn, x, y),
           "KFRA": lambda x, y: curvature.kfra(model, loss_fn, x, y),
           "KFAC (50 samples)": lambda x, y: curvature.kfac(model, loss_fn, x, y,
                                                            mc_samples=50, seed=0)}
errors = {name: [] for name in methods}
for size in batch_sizes:
    x, y = minigrad.tensor(x_all[:size]), minigrad.tensor(y_all[:size])
    reference = curvature.block_ggn(model, loss_fn, x, y)
    for name, method in methods.items():
        blocks = [f.to_dense() for f in method(x, y)]
        errors[name].append([relative_error(b, e) for b, e in zip(blocks, reference)])

assert max(errors["KFLR"][0] + errors["KFRA"][0]) < 1e-10      # exact at batch size 1
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4), sharey=True)
for layer, ax in enumerate(axes):
    for name in methods:
        ax.plot(batch_sizes, [max(e[layer], 1e-16) for e in errors[name]], "o-", label=name)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("batch size")
    ax.set_title(f"layer {layer + 1}: ‖approximation − GN‖ / ‖GN‖")
axes[0].legend()
plt.show()

# %% [markdown]
# ## Exercises
#
# **Exercise 1.** Apply `G ⊗ A` to a layer's parameters without forming it: with `W̃` the
# (out, width) matrix, `(G ⊗ A) vec(W̃) = vec(G W̃ Aᵀ)` in row-major `vec`. Return the
# product as an (out, width) matrix. The check forms `np.kron(G, A)`.

# %%
def kronecker_product_apply(G, A, W):
    ...  # your answer: an (out, width) array


# %%
G, A, W = rng.standard_normal((3, 3)), rng.standard_normal((5, 5)), rng.standard_normal((3, 5))
assert np.allclose(answer(kronecker_product_apply, "kronecker_factors", G, A, W).ravel(),
                   np.kron(G, A) @ W.ravel())

# %% [markdown]
# **Exercise 2.** KFLR's factors of the *last* layer by hand: `A` is the mean of `ā ā ᵀ`
# over the batch (ā = the hidden activations with a 1 appended), `G` the mean of the
# per-sample output Hessians `diag(p) − p pᵀ`. Return `(G, A)`; the check compares them
# with `curvature.kflr`.

# %%
def last_layer_kflr(model, x, y):
    ...  # your answer: (G (10, 10), A (13, 13))


# %%
x, y = minigrad.tensor(x_all[:64]), minigrad.tensor(y_all[:64])
G_mine, A_mine = answer(last_layer_kflr, "kronecker_factors", model, x_all[:64], y_all[:64])
library = curvature.kflr(model, loss_fn, x, y)[1]
assert np.allclose(G_mine, library.G) and np.allclose(A_mine, library.A)
