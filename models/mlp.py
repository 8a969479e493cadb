"""``mlp``: a fully connected network ``Linear → f → Linear → f → … → Linear``.

For ``sizes = [d_0, d_1, …, d_L]`` layer ``λ`` computes ``h_λ = W_λ a_{λ−1} + b_λ``
with ``W_λ`` of shape ``(d_λ, d_{λ−1})`` and ``a_λ = f(h_λ)`` for every layer but
the last, whose ``h_L`` are the outputs (logits) — the feed-forward chain of
``minigrad/curvature/README.md``. Inputs are ``(N, d_0)``: flatten images first.
"""
from minigrad import nn

ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "softplus": nn.Softplus,
               "leaky_relu": nn.LeakyReLU}


def activation_module(name):
    """A new activation layer by name (one of ``ACTIVATIONS``)."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]()


def mlp(sizes, activation="relu"):
    """``Sequential`` of ``Linear(sizes[i], sizes[i+1])`` with ``activation`` between them.

    ``mlp([784, 100, 10])`` is ``Linear(784, 100), ReLU(), Linear(100, 10)``
    (79,510 parameters: ``Σ_λ d_λ (d_{λ−1} + 1)``).
    """
    sizes = list(sizes)
    if len(sizes) < 2 or not all(isinstance(s, int) and s > 0 for s in sizes):
        raise ValueError(f"mlp: sizes must list at least two positive ints, got {sizes}")
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i:
            layers.append(activation_module(activation))
        layers.append(nn.Linear(fan_in, fan_out))
    return nn.Sequential(*layers)
