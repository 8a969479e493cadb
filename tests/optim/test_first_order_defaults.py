"""First-order optimizers with PyTorch's default hyper-parameters, and weight decay of 1.

The defaults are part of the contract (``Adagrad(params)`` is PyTorch's Adagrad: lr 1e-2,
no lr decay, no weight decay, accumulator 0, eps 1e-10; ``Adam``: lr 1e-3, betas (0.9,
0.999), eps 1e-8, no weight decay; ``AdamW``: weight decay 1e-2). Each trajectory is
compared with the plain NumPy loop of ``test_first_order``. A weight decay of exactly 1 is
checked too, so that no branch may treat 1 as "no decay".
"""
import numpy
import pytest

import optim
from tests.optim.test_first_order import assert_same, run_optimizer, run_reference


def _adagrad(lr=1e-2, eps=1e-10):
    def update(theta, g, state, step):
        state["s"] = state["s"] + g * g
        return theta - lr * g / (numpy.sqrt(state["s"]) + eps)
    return update


def _adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
    beta1, beta2 = betas

    def update(theta, g, state, step):
        if decoupled:
            theta = theta * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * theta
        state["m"] = beta1 * state["m"] + (1 - beta1) * g
        state["v"] = beta2 * state["v"] + (1 - beta2) * g * g
        m_hat, v_hat = state["m"] / (1 - beta1 ** step), state["v"] / (1 - beta2 ** step)
        return theta - lr * m_hat / (numpy.sqrt(v_hat) + eps)
    return update


def _zeros(*names):
    return lambda t: {name: numpy.zeros_like(t) for name in names}


def test_adagrad_defaults():
    assert_same(run_optimizer(optim.Adagrad), run_reference(_adagrad(), _zeros("s")))


@pytest.mark.parametrize("cls, decoupled, weight_decay", [
    (optim.Adam, False, 0.0), (optim.AdamW, True, 1e-2)])
def test_adam_family_defaults(cls, decoupled, weight_decay):
    expected = run_reference(_adam(weight_decay=weight_decay, decoupled=decoupled),
                             _zeros("m", "v"))
    assert_same(run_optimizer(cls), expected)


@pytest.mark.parametrize("cls, decoupled", [(optim.Adam, False), (optim.AdamW, True)])
def test_weight_decay_of_one(cls, decoupled):
    expected = run_reference(_adam(lr=0.1, weight_decay=1.0, decoupled=decoupled),
                             _zeros("m", "v"))
    assert_same(run_optimizer(cls, lr=0.1, weight_decay=1.0), expected)
