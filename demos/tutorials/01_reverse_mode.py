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
# # 1. Reverse mode from scratch
#
# Every `Tensor` made by an op remembers the op (`grad_fn`) and the op remembers its
# inputs (`grad_fn.inputs`). That chain *is* the graph; `loss.backward()` walks it from the
# loss back to the leaves, calling each op's `backward` with the gradient of its output.
# In this tutorial we build a small graph, draw it, walk it ourselves node by node, and
# check every gradient against finite differences.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minigrad
from minigrad.autograd.function import Function
from minigrad.viz import draw_graph
from exercises import answer

minigrad.set_default_dtype(np.float64)        # float64 for every check below
rng = np.random.default_rng(0)

# %% [markdown]
# ## A neuron and its graph
#
# One neuron: `y = tanh(w · x + b)` and a squared error `loss = (y − 1)²`.

# %%
x = minigrad.tensor([0.5, -1.0, 2.0])
w = minigrad.tensor([0.3, 0.8, -0.4], requires_grad=True)
b = minigrad.tensor(0.1, requires_grad=True)
pre = (w * x).sum() + b
y = pre.tanh()
loss = (y - 1.0) ** 2
names = {"x": x, "w": w, "b": b, "pre": pre, "y": y, "loss": loss}
draw_graph(loss, names=names)

# %% [markdown]
# Boxes are tensors (name, shape, value), ellipses the ops that made them. Without
# Graphviz, `draw_graph` says what to install and prints the same graph as text.
#
# ## Backward, node by node
#
# Reverse mode visits the ops in reverse topological order (every op after all the ops
# that use its output), hands each its output's gradient, and adds what it returns into
# its inputs' gradients. These dozen lines are what `minigrad/autograd/engine.py` does.

# %%
def topological_order(root):
    """Tensors of the graph of ``root``, every tensor after the tensors it was made from."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        t, expanded = stack.pop()
        if expanded:
            order.append(t)
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        stack.append((t, True))
        for parent in (t.grad_fn.inputs if t.grad_fn is not None else ()):
            stack.append((parent, False))
    return order


def backward_by_hand(root):
    """``{id(tensor): gradient array}`` of ``root`` with respect to every tensor of its graph."""
    grads = {id(root): np.ones(root.shape)}
    for t in reversed(topological_order(root)):
        if t.grad_fn is None:
            continue
        input_grads = t.grad_fn.backward(minigrad.tensor(grads[id(t)]))
        for parent, g in zip(t.grad_fn.inputs, input_grads):
            if g is not None:
                grads[id(parent)] = grads.get(id(parent), 0.0) + g.numpy()
        print(f"{type(t.grad_fn).__name__:>5}: d loss / d output = {np.round(grads[id(t)], 4)}")
    return grads


by_hand = backward_by_hand(loss)

# %% [markdown]
# Each intermediate tensor has its gradient now, not only the leaves. Compare with the
# engine (`loss.backward()` fills `.grad` of the leaves) and with the chain rule on paper:
# `dloss/dy = 2(y − 1)`, `dy/dpre = 1 − y²`, `dpre/dw = x`, `dpre/db = 1`.

# %%
loss.backward(retain_graph=True)
dloss_dpre = 2 * (y.item() - 1) * (1 - y.item() ** 2)
print("w.grad (engine)  ", w.grad.numpy())
print("w.grad (by hand) ", by_hand[id(w)])
print("w.grad (paper)   ", dloss_dpre * x.numpy())
assert np.allclose(by_hand[id(w)], w.grad.numpy()) and np.allclose(by_hand[id(b)], b.grad.numpy())
assert np.allclose(w.grad.numpy(), dloss_dpre * x.numpy())
draw_graph(loss, names=names)   # now the leaves show their gradients

# %% [markdown]
# ## Checking against finite differences
#
# A gradient is right when it predicts how the loss moves: along any direction `d`,
# `(L(w + εd) − L(w − εd)) / 2ε ≈ ∇L · d`. `minigrad.gradcheck` does this for every
# coordinate of small inputs and along random directions, in float64.

# %%
def neuron_loss(w, b):
    return (((w * x).sum() + b).tanh() - 1.0) ** 2


result = minigrad.gradcheck(neuron_loss, [w.detach().requires_grad_(), b.detach().requires_grad_()])
print(result)

d = rng.standard_normal(3)
steps = np.linspace(-1.5, 1.5, 61)
along = [neuron_loss(minigrad.tensor(w.numpy() + s * d), b).item() for s in steps]
slope = float(w.grad.numpy() @ d)
fig, ax = plt.subplots(figsize=(5, 3.2))
ax.plot(steps, along, label="loss along w + s·d")
ax.plot(steps, loss.item() + slope * steps, "--", label="tangent: loss + s·(∇L·d)")
ax.set_xlabel("s")
ax.set_ylim(min(along) - 0.1, max(along) + 0.1)
ax.legend()
ax.set_title("the gradient is the slope at s = 0")
plt.show()

# %% [markdown]
# ## The same on a batch of digits
#
# Softmax regression on 32 digits: real MNIST when it is found on this machine, else the
# synthetic digits the package generates (the line printed says which).

# %%
from minigrad.data import load_or_synthetic
import minigrad.nn.functional as F

images, labels, source = load_or_synthetic("mnist", "test")
batch = minigrad.tensor(images[:32].reshape(32, -1) / 255.0)
targets = minigrad.tensor(labels[:32])
weights = minigrad.tensor(0.01 * rng.standard_normal((784, 10)), requires_grad=True)

def softmax_regression(weights):
    return F.cross_entropy(batch @ weights, targets)

print(minigrad.gradcheck(softmax_regression, [weights]))
fig, axes = plt.subplots(1, 10, figsize=(10, 1.3))
softmax_regression(weights).backward()
for digit, ax in enumerate(axes):
    ax.imshow(-weights.grad.numpy()[:, digit].reshape(28, 28), cmap="RdBu")
    ax.set_title(str(digit))
    ax.axis("off")
fig.suptitle(f"−gradient of each class's weights ({source} digits): the first step draws the digits")
plt.show()

# %% [markdown]
# ## Exercises
#
# **Exercise 1.** Write `sigmoid_derivative(z)`: the derivative of σ(z) = 1/(1 + e^{−z}) as
# a NumPy function of `z` (an array). The check compares it with minigrad's gradient.

# %%
def sigmoid_derivative(z):
    ...  # your answer: return an array shaped like z


# %%
z = np.linspace(-4, 4, 9)
z_tensor = minigrad.tensor(z, requires_grad=True)
z_tensor.sigmoid().sum().backward()
assert np.allclose(answer(sigmoid_derivative, "reverse_mode", z), z_tensor.grad.numpy())

# %% [markdown]
# **Exercise 2.** Write a new op, `Cube` (`x³`), as a `Function` with a `forward` on arrays
# and a `backward` built from differentiable ops (so it can be differentiated again).
# `make_cube()` should return the class. The check runs `gradcheck` and `gradgradcheck`.

# %%
def make_cube():
    ...  # your answer: define class Cube(Function) and return it


# %%
Cube = answer(make_cube, "reverse_mode")
t = minigrad.tensor(rng.standard_normal(5), requires_grad=True)
print(minigrad.gradcheck(Cube.apply, [t]))
print(minigrad.gradgradcheck(Cube.apply, [t]))
assert np.allclose(Cube.apply(t).numpy(), t.numpy() ** 3)

# %% [markdown]
# **Exercise 3.** Without calling `backward`, return the gradient of `loss` with respect
# to `x` (the input, not a parameter) for the neuron above, as an array. The check
# compares it with `minigrad.grad`.

# %%
def input_gradient(w, b, x):
    ...  # your answer: an array of shape (3,)


# %%
x_leaf = x.detach().requires_grad_()
loss_of_x = (((w * x_leaf).sum() + b).tanh() - 1.0) ** 2
(reference,) = minigrad.grad(loss_of_x, [x_leaf])
assert np.allclose(answer(input_gradient, "reverse_mode", w.numpy(), b.item(), x.numpy()),
                   reference.numpy())
