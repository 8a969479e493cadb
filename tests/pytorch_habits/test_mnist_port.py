"""``demos/pytorch_mnist.py`` (pytorch/examples' mnist/main.py with minigrad imports) runs:
two epochs of ``--dry-run`` on a slice of the synthetic digits, then ``--save-model``."""
import sys

import numpy

import minigrad
from demos import pytorch_mnist
from minigrad.data import synthetic_digits


def small_synthetic(name, split):
    assert name == "mnist"
    images, labels = synthetic_digits(split)
    size = 96 if split == "train" else 64
    return images[:size], labels[:size], "synthetic"


def test_the_port_trains_tests_and_saves(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(pytorch_mnist, "load_or_synthetic", small_synthetic)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["pytorch_mnist.py", "--dry-run", "--epochs", "2",
                                      "--batch-size", "32", "--test-batch-size", "32",
                                      "--no-cuda", "--save-model"])
    pytorch_mnist.main()
    out = capsys.readouterr().out
    assert out.count("Train Epoch: 1 [0/96 (0%)]\tLoss: ") == 1
    assert out.count("Train Epoch: 2 [0/96 (0%)]\tLoss: ") == 1
    assert out.count("Test set: Average loss: ") == 2 and "/64 (" in out
    state = minigrad.load(tmp_path / "mnist_cnn.pt")
    model = pytorch_mnist.Net()
    model.load_state_dict(state)
    assert [tuple(v.shape) for v in state.values()] == [
        (32, 1, 3, 3), (32,), (64, 32, 3, 3), (64,), (128, 9216), (128,), (10, 128), (10,)]
    model.eval()
    images, _, _ = small_synthetic("mnist", "test")
    x = minigrad.tensor(images[:4].astype(numpy.float32) / 255)
    log_probabilities = model(x).numpy()
    numpy.testing.assert_allclose(numpy.exp(log_probabilities).sum(axis=1), 1.0, rtol=1e-5)
