"""Each optimizer of this package trains a 784-64-10 MLP on 2,000 MNIST images to ≥ 90%.

Through ``tests.optim.mnist_training.train_mlp``: 2,000 training images,
500 validation images (for ``Hybrid``'s switch), 1,000 test images, seed 0,
float32 on the CPU. The budget is 40,000 per-sample gradient evaluations (20 passes over the
2,000 images): 400 steps of batch 100 for the mini-batch methods (AdaHessian
and Hybrid add one Hessian-vector product per AdaHessian step, Armijo descent
adds forward-only trial losses), and for L-BFGS 4 passes in batches of 500
with up to ``max_eval = 5`` loss-and-gradient evaluations per step (the line
search may exceed it inside a step). Learning rates are the ones listed.
Slow (about four minutes on two cores): run with ``pytest -m slow``.
"""
import pytest

from tests.optim.mnist_training import mnist_available, train_mlp

SETTINGS = {
    "sgd": dict(lr=0.1, momentum=0.9),
    "adagrad": dict(lr=0.05),
    "rmsprop": dict(lr=1e-3),
    "adam": dict(lr=1e-3),
    "adamw": dict(lr=1e-3),
    "adahessian": dict(lr=0.1),
    "hybrid": dict(lr=0.01, optim_args={"sgd_lr": 0.1, "threshold": 0.5}),
    "gd-armijo": dict(lr=1.0),
    "lbfgs": dict(lr=1.0, batch_size=500, epochs=4,
                  optim_args={"line_search_fn": "strong_wolfe", "max_iter": 4, "max_eval": 5,
                              "history_size": 20}),
}


@pytest.mark.slow
@pytest.mark.skipif(not mnist_available(), reason="MNIST is not available locally")
@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_optimizer_reaches_90_percent_on_mnist_subset(name):
    metrics = train_mlp(name, **SETTINGS[name])
    assert metrics["test_accuracy"] >= 0.90, (name, metrics["test_accuracy"])
    if name == "hybrid":
        assert min(metrics["history"]["val_loss"][:-1]) < 0.5
