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
# # 5. Second-order optimisers you can watch
#
# On a function of two variables every step can be drawn. We run gradient descent, Newton,
# damped Newton, Newton-CG, the trust-region method with a spherical and an ellipsoidal
# norm, and adaptive cubic regularisation (ARC) on a saddle and on Rosenbrock's valley,
# then one of them on digits. The trust-region and ARC methods and their norms follow
# Adolphs, Kohler & Lucchi, "Adaptive norms for deep learning with regularized Newton
# methods" (2019).
#
# The optimisers in `optim` take a *closure* that answers the loss, the gradient and
# Hessian-vector products (`minigrad.curvature.Closure(model, loss_fn, x, y)`). A
# two-variable function becomes a "model" whose only parameter is the point `θ` and whose
# "loss" is its output.

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


class Surface(nn.Module):
    """``f(θ)`` for a point ``θ`` (2,), as a model whose output is the value."""

    def __init__(self, f, start):
        super().__init__()
        self.f = f
        self.theta = nn.Parameter(np.array(start, dtype=np.float64))

    def forward(self, unused_input):
        return self.f(self.theta[0], self.theta[1])


def value(output, unused_target):
    return output


def saddle(x, y):
    """x² + y⁴/4 − y²/2: a saddle at (0, 0), minima at (0, ±1)."""
    return x ** 2 + 0.25 * y ** 4 - 0.5 * y ** 2


def rosenbrock(x, y):
    """(1 − x)² + 100 (y − x²)²: minimum at (1, 1) at the end of a curved valley."""
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


NO_INPUT = minigrad.zeros(1, 1)

# %% [markdown]
# Newton and damped Newton are two lines each with the dense 2×2 Hessian
# (`curvature.hessian`); the others are the library's optimisers, each stepped with the
# closure. Every run records the points it visits.

# %%
def newton_path(f, start, steps, damping=0.0):
    surface = Surface(f, start)
    path = [surface.theta.numpy().copy()]
    for _ in range(steps):
        closure = curvature.Closure(surface, value, NO_INPUT, None)
        closure()
        H = curvature.hessian(surface, value, NO_INPUT, None)
        step = np.linalg.solve(H + damping * np.eye(2), surface.theta.grad.numpy())
        surface.theta.data = surface.theta.data - step
        path.append(surface.theta.numpy().copy())
    return np.array(path)


def optimizer_path(f, start, steps, make_optimizer):
    surface = Surface(f, start)
    optimizer = make_optimizer(surface.parameters())
    closure = curvature.Closure(surface, value, NO_INPUT, None)
    path = [surface.theta.numpy().copy()]
    for _ in range(steps):
        optimizer.step(closure)
        path.append(surface.theta.numpy().copy())
    return np.array(path)


METHODS = {
    "gradient descent": lambda f, s, n: optimizer_path(f, s, n, lambda p: optim.SGD(p, lr=2e-3 if f is rosenbrock else 0.1)),
    "Newton": lambda f, s, n: newton_path(f, s, n),
    "damped Newton (λ=2)": lambda f, s, n: newton_path(f, s, n, damping=2.0),
    "Newton-CG": lambda f, s, n: optimizer_path(f, s, n, lambda p: optim.NewtonCG(p, curvature="hessian", damping=1.0)),
    "trust region, spherical": lambda f, s, n: optimizer_path(f, s, n, lambda p: optim.TrustRegion(p, radius=0.5)),
    "trust region, Adam norm": lambda f, s, n: optimizer_path(f, s, n, lambda p: optim.TrustRegion(p, radius=0.5, norm="adam")),
    "ARC": lambda f, s, n: optimizer_path(f, s, n, lambda p: optim.CubicRegularization(p, sigma=1.0)),
}


def draw(f, start, steps, box, levels):
    xs, ys = np.meshgrid(np.linspace(*box[0], 200), np.linspace(*box[1], 200))
    fig, axes = plt.subplots(2, 4, figsize=(14, 6.5), sharex=True, sharey=True)
    finals = {}
    for ax, (name, run) in zip(axes.ravel(), METHODS.items()):
        path = run(f, start, steps)
        finals[name] = path[-1]
        ax.contour(xs, ys, f(xs, ys), levels=levels, cmap="Greys", linewidths=0.6)
        ax.plot(path[:, 0], path[:, 1], ".-", color="tab:red", markersize=4)
        ax.plot(*path[0], "o", color="tab:blue")
        ax.set_title(f"{name}\nends at ({path[-1][0]:.2f}, {path[-1][1]:.2f})", fontsize=9)
    axes.ravel()[-1].axis("off")
    plt.show()
    return finals


# %% [markdown]
# ## A saddle
#
# Starting just off the saddle's stable axis, Newton's method is *attracted* by the saddle
# (it solves for a point where the gradient vanishes, whatever the curvature), damped
# Newton less so; gradient descent and the regularised methods, which use the negative
# curvature they meet, leave it for a minimum.

# %%
saddle_ends = draw(saddle, (1.5, 0.05), 15, ((-2, 2), (-1.6, 1.6)),
                   np.linspace(-0.3, 4, 25))
assert np.allclose(saddle_ends["Newton"], 0, atol=1e-3)                  # stuck at the saddle
for name in ("trust region, spherical", "ARC"):
    assert abs(abs(saddle_ends[name][1]) - 1) < 0.05, name              # reached a minimum

# %% [markdown]
# ## Rosenbrock's valley
#
# Gradient descent crawls along the curved valley; the second-order methods follow it.

# %%
rosenbrock_ends = draw(rosenbrock, (-1.2, 1.0), 40, ((-2, 2), (-1, 3)),
                       np.logspace(-1, 3.3, 20))
for name in ("Newton", "trust region, spherical", "ARC"):
    assert np.allclose(rosenbrock_ends[name], [1, 1], atol=1e-2), name

# %% [markdown]
# ## On digits
#
# The same trust-region step on a 784-16-10 network and 500 digits (full batch, the
# Hessian by double backward inside the Krylov solver), next to SGD, counted in steps.

# %%
images, labels, source = load_or_synthetic("mnist", "test")
x = minigrad.tensor(images[:500].reshape(500, -1) / 255.0)
y = minigrad.tensor(labels[:500])
loss_fn = nn.CrossEntropyLoss()
curves = {}
for name, make in {"SGD (lr 0.5)": lambda p: optim.SGD(p, lr=0.5),
                   "trust region": lambda p: optim.TrustRegion(p, radius=1.0)}.items():
    nn.manual_seed(0)
    model = models.mlp([784, 16, 10], activation="tanh")
    optimizer = make(model.parameters())
    closure = curvature.Closure(model, loss_fn, x, y)
    curves[name] = [closure.loss_value()]
    for _ in range(15):
        optimizer.step(closure)
        curves[name].append(closure.loss_value())
fig, ax = plt.subplots(figsize=(5, 3.2))
for name, curve in curves.items():
    ax.plot(curve, label=name)
ax.set_xlabel("step")
ax.set_ylabel(f"training loss ({source})")
ax.legend()
plt.show()
assert curves["trust region"][-1] < 0.5 * curves["trust region"][0]

# %% [markdown]
# ## Exercises
#
# **Exercise 1.** One Newton step on the quadratic `f(θ) = ½ θᵀAθ − bᵀθ` from any `θ`:
# return the new point. The check: it is the minimiser `A⁻¹b`, and `optim.NewtonCG` with no
# damping reaches the same point in one step.

# %%
def newton_step(A, b, theta):
    ...  # your answer: an array of shape (2,)


# %%
A, b = np.array([[3.0, 1.0], [1.0, 2.0]]), np.array([1.0, -1.0])
landed = answer(newton_step, "optimisers", A, b, np.array([5.0, 5.0]))
quadratic = Surface(lambda u, v: 0.5 * (A[0, 0] * u * u + 2 * A[0, 1] * u * v + A[1, 1] * v * v)
                    - b[0] * u - b[1] * v, (5.0, 5.0))
optim.NewtonCG(quadratic.parameters(), curvature="hessian", damping=0.0, adapt_damping=False).step(
    curvature.Closure(quadratic, value, NO_INPUT, None))
assert np.allclose(landed, np.linalg.solve(A, b)) and np.allclose(quadratic.theta.numpy(), landed)

# %% [markdown]
# **Exercise 2.** The Cauchy point of a trust region: the minimiser of the model
# `m(s) = gᵀs + ½ sᵀBs` along `s = −t g` with `‖s‖ ≤ Δ`. Return `s`. The check compares it
# with a dense search over `t`.

# %%
def cauchy_point(g, B, radius):
    ...  # your answer: an array shaped like g


# %%
for B in (np.array([[2.0, 0.5], [0.5, 1.0]]), np.array([[1.0, 0.0], [0.0, -1.0]])):
    g = np.array([1.0, -2.0])
    s = answer(cauchy_point, "optimisers", g, B, 0.8)
    ts = np.linspace(0, 0.8 / np.linalg.norm(g), 100001)
    models_along = -ts * (g @ g) + 0.5 * ts ** 2 * (g @ B @ g)
    best = -ts[int(np.argmin(models_along))] * g
    assert np.allclose(s, best, atol=1e-4) and np.linalg.norm(s) <= 0.8 + 1e-12
