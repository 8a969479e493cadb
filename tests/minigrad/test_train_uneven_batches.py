"""Epoch metrics when the last batch is smaller than the others.

A run with a learning rate far below the parameters' resolution (``1e-300``: every SGD
step leaves the float64 parameters unchanged) evaluates one fixed model, so its epoch
means cannot depend on how the sets are cut into batches: batches of 50 over 110 training,
70 validation and 30 test samples (last batches of 10, 20 and 30) must give the means of
one batch holding each whole set. A last batch weighted like a full one would not.
"""
import numpy

from minigrad.train import train

SIZES = dict(data="synthetic", train_size=110, val_size=70, test_size=30, hidden=(8,),
             dtype="float64", epochs=1, lr=1e-300, seed=3, log=lambda line: None)
KEYS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy")


def test_epoch_means_do_not_depend_on_the_batch_size():
    uneven = train(batch_size=50, **SIZES)
    whole = train(batch_size=200, **SIZES)
    assert len(uneven["batch_loss"]) == 3 and len(whole["batch_loss"]) == 1
    for key in KEYS:
        numpy.testing.assert_allclose(uneven["history"][key], whole["history"][key],
                                      rtol=1e-12, err_msg=key)
    for key in ("test_loss", "test_accuracy"):
        numpy.testing.assert_allclose(uneven[key], whole[key], rtol=1e-12, err_msg=key)


def test_train_means_weight_each_batch_by_its_samples():
    metrics = train(batch_size=50, **SIZES)
    sizes = numpy.array([50, 50, 10])
    losses, corrects = numpy.array(metrics["batch_loss"]), numpy.array(metrics["batch_correct"])
    numpy.testing.assert_allclose(metrics["history"]["train_loss"][0],
                                  (losses * sizes).sum() / 110, rtol=1e-12)
    assert metrics["history"]["train_accuracy"][0] == corrects.sum() / 110
    assert abs(losses[2] - losses[:2].mean()) > 1e-3
