"""The training set may be as small as one sample (``train_size=1``, one batch of one)."""
from minigrad.train import train

SMALL = dict(data="synthetic", val_size=5, test_size=5, hidden=(4,), dtype="float64",
             epochs=1, lr=0.1, log=lambda line: None)


def test_one_training_sample_trains_one_batch():
    metrics = train(train_size=1, batch_size=1, **SMALL)
    assert len(metrics["batch_loss"]) == 1 and metrics["sizes"]["train"] == 1

