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
# # 3. The layerwise Hessian recursion
#
# Botev, Ritter & Barber, "Practical Gauss-Newton Optimisation for Deep Learning" (2017),
# compute each layer's block of the Hessian from the per-sample Hessians of its
# *pre-activations* `h_λ = W_λ a_{λ−1} + b_λ`, passed backwards like a gradient:
#
# - at the output, the Hessian of the loss in the logits: `H_L = diag(p) − p pᵀ` for
#   softmax cross-entropy (`p = softmax(h_L)`);
# - one layer down, `H_{λ−1} = B W_λᵀ H_λ W_λ B + D`, with `B = diag(f′(h_{λ−1}))` and
#   `D = diag(f″(h_{λ−1}) ⊙ ∂ℓ/∂a_{λ−1})`;
# - the block of layer λ over `[W.ravel(), b]` is the batch mean of `Jᵀ H_λ J`, where
#   `J = [I ⊗ a_{λ−1}ᵀ, I]` is the Jacobian of `h_λ` in those parameters.
#
# Dropping `D` gives the Gauss-Newton block; the part it drops is the residual, `H = GN + R`.

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

# %% [markdown]
# A 16-12-10 tanh network on 128 digits, each image averaged down to 4×4 pixels.

# %%
images, labels, source = load_or_synthetic("mnist", "test")
pixels = images[:128].reshape(128, 4, 7, 4, 7).mean(axis=(2, 4)).reshape(128, 16) / 255.0
x = (pixels - pixels.mean(axis=0)) / (pixels.std(axis=0) + 0.05)     # standardised
y = labels[:128]
model = nn.Sequential(nn.Linear(16, 12), nn.Tanh(), nn.Linear(12, 10))
loss_fn = nn.CrossEntropyLoss()
W1, b1, W2, b2 = (p.numpy() for p in model.parameters())
N, K = x.shape[0], 10

# %% [markdown]
# ## The recursion in a few lines of NumPy

# %%
h1 = x @ W1.T + b1
a1 = np.tanh(h1)
h2 = a1 @ W2.T + b2
p = np.exp(h2 - h2.max(axis=1, keepdims=True))
p /= p.sum(axis=1, keepdims=True)
output_gradient = p - np.eye(K)[y]                          # ∂ℓ_n/∂h2, per sample


def jacobian(a, out):
    """∂h/∂[W.ravel(), b] of h = W a + b for one sample: (out, out·len(a) + out)."""
    return np.hstack([np.kron(np.eye(out), a[None, :]), np.eye(out)])


def layer_blocks(with_residual):
    """The two layers' blocks of the mean loss (Hessian, or Gauss-Newton without D)."""
    blocks = [0.0, 0.0]
    for n in range(N):
        H2 = np.diag(p[n]) - np.outer(p[n], p[n])
        B = np.diag(1 - a1[n] ** 2)
        H1 = B @ W2.T @ H2 @ W2 @ B
        if with_residual:
            second_derivative = -2 * a1[n] * (1 - a1[n] ** 2)           # tanh″
            H1 += np.diag(second_derivative * (W2.T @ output_gradient[n]))
        J1, J2 = jacobian(x[n], 12), jacobian(a1[n], 10)
        blocks[0] += J1.T @ H1 @ J1 / N
        blocks[1] += J2.T @ H2 @ J2 / N
    return blocks


hessian_blocks = layer_blocks(with_residual=True)
gauss_newton_blocks = layer_blocks(with_residual=False)

# %% [markdown]
# ## Against `curvature.block_hessian` and the dense Hessian
#
# `curvature.block_hessian` runs the same recursion inside the library (for any chain of
# supported layers); `curvature.hessian` builds the whole `(P, P)` Hessian from HVPs by
# double backward, a reference that knows nothing of the recursion.

# %%
library_blocks = curvature.block_hessian(model, loss_fn, minigrad.tensor(x), minigrad.tensor(y))
library_gn = curvature.block_ggn(model, loss_fn, minigrad.tensor(x), minigrad.tensor(y))
dense = curvature.hessian(model, loss_fn, minigrad.tensor(x), minigrad.tensor(y))
sizes = [W1.size + b1.size, W2.size + b2.size]
dense_blocks = [dense[:sizes[0], :sizes[0]], dense[sizes[0]:, sizes[0]:]]
for layer in range(2):
    print(f"layer {layer + 1}: {sizes[layer]} parameters; recursion vs block_hessian "
          f"{np.abs(hessian_blocks[layer] - library_blocks[layer]).max():.1e}, vs dense "
          f"{np.abs(hessian_blocks[layer] - dense_blocks[layer]).max():.1e}")
    assert np.allclose(hessian_blocks[layer], library_blocks[layer])
    assert np.allclose(hessian_blocks[layer], dense_blocks[layer])
    assert np.allclose(gauss_newton_blocks[layer], library_gn[layer])

# %% [markdown]
# ## Heat maps: H = GN + R
#
# The first layer's block, its Gauss-Newton part and the residual `R = H − GN` (the `D`
# terms: curvature of the tanh weighted by the backpropagated gradient). The last layer's
# block has no residual: nothing nonlinear lies between its pre-activations and the loss's
# own Hessian.

# %% tags=["readme-figure"]
residual = hessian_blocks[0] - gauss_newton_blocks[0]
limit = np.quantile(np.abs(hessian_blocks[0]), 0.99)
fig, axes = plt.subplots(1, 3, figsize=(11, 3.6))
for ax, block, title in zip(axes, [hessian_blocks[0], gauss_newton_blocks[0], residual],
                            ["Hessian block H", "Gauss-Newton GN", "residual R = H − GN"]):
    image = ax.imshow(block, cmap="RdBu", vmin=-limit, vmax=limit)
    ax.set_title(f"{title}\nlayer 1, {sizes[0]}×{sizes[0]}")
    ax.set_xticks([])
    ax.set_yticks([])
fig.colorbar(image, ax=axes, shrink=0.8)
fig.suptitle(f"The layerwise Hessian recursion on {source} digits (Botev et al. 2017): 12 rows of 16 weights, then 12 biases", y=1.02)
plt.show()
print(f"‖R‖/‖H‖ = {np.linalg.norm(residual) / np.linalg.norm(hessian_blocks[0]):.3f}; "
      f"last layer ‖H − GN‖ = {np.abs(hessian_blocks[1] - gauss_newton_blocks[1]).max():.1e}")
assert np.allclose(hessian_blocks[1], gauss_newton_blocks[1])

# %% [markdown]
# ## Exercises
#
# **Exercise 1.** The Hessian of softmax cross-entropy `ℓ(z) = −log softmax(z)_y` in the
# logits `z` (one sample). The check differentiates the loss twice.

# %%
def cross_entropy_hessian(z, y):
    ...  # your answer: a (K, K) array


# %%
z = rng.standard_normal(5)
z_leaf = minigrad.tensor(z[None, :], requires_grad=True)
(g,) = minigrad.grad(loss_fn(z_leaf, minigrad.tensor([2])), [z_leaf], create_graph=True)
reference = np.stack([minigrad.grad(g, [z_leaf], grad_outputs=[minigrad.tensor(e[None, :])],
                                    retain_graph=True)[0].numpy()[0] for e in np.eye(5)])
assert np.allclose(answer(cross_entropy_hessian, "layerwise_hessian_recursion", z, 2), reference)

# %% [markdown]
# **Exercise 2.** One step of the recursion for a *sigmoid* layer: given one sample's
# pre-activation `h` (D,), the next layer's weights `W` (K, D), the pre-activation Hessian
# `H_next` (K, K) and gradient `g_next` (K,) of the layer above, return `H` (D, D) at `h`.
# The check differentiates `ℓ(W σ(h) + b)` twice in `h`.

# %%
def sigmoid_recursion_step(h, W, H_next, g_next):
    ...  # your answer: a (D, D) array


# %%
h = rng.standard_normal(12)
h_leaf = minigrad.tensor(h[None, :], requires_grad=True)
logits = h_leaf.sigmoid() @ minigrad.tensor(W2.T) + minigrad.tensor(b2)
sample_loss = loss_fn(logits, minigrad.tensor([7]))
(g,) = minigrad.grad(sample_loss, [h_leaf], create_graph=True)
reference = np.stack([minigrad.grad(g, [h_leaf], grad_outputs=[minigrad.tensor(e[None, :])],
                                    retain_graph=True)[0].numpy()[0] for e in np.eye(12)])
q = np.exp(logits.numpy()[0] - logits.numpy()[0].max())
q /= q.sum()
mine = answer(sigmoid_recursion_step, "layerwise_hessian_recursion", h, W2,
              np.diag(q) - np.outer(q, q), q - np.eye(10)[7])
assert np.allclose(mine, reference)
