"""The data of a run: the training, validation and test samples and how a model sees them.

``run_data(config, root, download, check_md5, log)`` loads the configured data set,
splits its training split (seeded by ``seed``) into ``train_size`` training and
``val_size`` validation samples (default: 10% validation, the rest training),
draws ``test_size`` test samples, and returns them with the resolved sizes.
``transform(model, data, dtype)`` maps uint8 images ``(N, C, H, W)`` to what the
model takes: standardised floats (``Normalize`` with the data set's statistics),
or pixels in [0, 1] for an autoencoder, flattened to ``(N, C·H·W)`` for the
fully connected models.
"""
import models

from ..data import Normalize, load, split
from ..data.datasets import folder_of
from .errors import UsageError


def transform(model, data, dtype):
    """The loader transform of ``model``'s inputs from data set ``data``."""
    scale = Normalize(0.0, 1.0, dtype) if models.reconstructs(model) \
        else Normalize.for_dataset(data, dtype)
    if not models.flat_input(model):
        return scale
    return lambda images: scale(images).reshape(len(images), -1)


def run_data(config, root, download, check_md5, log):
    """``(train, val, test, facts)``: ``(images, labels)`` pairs and the resolved sizes, source
    and folder."""
    name = config["data"]
    train_images, train_labels = load(name, "train", root=root, download=download,
                                      check_md5=check_md5)
    test_images, test_labels = load(name, "test", root=root, download=download,
                                    check_md5=check_md5)
    n = len(train_images)
    val_size = config["val_size"] if config["val_size"] is not None else n // 10
    train_size = config["train_size"] if config["train_size"] is not None else n - val_size
    test_size = config["test_size"] if config["test_size"] is not None else len(test_images)
    if train_size + val_size > n:
        raise UsageError(f"--train-size {train_size} plus --val-size {val_size} exceed the {n} "
                         f"training samples of {name}")
    if train_size < 1:
        raise UsageError(f"--val-size {val_size} leaves no training sample of the {n} in {name}")
    if test_size > len(test_images):
        raise UsageError(f"--test-size {test_size} exceeds the {len(test_images)} test samples "
                         f"of {name}")
    train_set, val_set = split(train_images, train_labels, [train_size, val_size], config["seed"])
    test_set, = split(test_images, test_labels, [test_size], config["seed"])
    folder = None if name == "synthetic" else folder_of(name, "train", root)
    log(f"data: {name}{' (synthetic digits)' if name == 'synthetic' else ''}: {train_size} "
        f"train, {val_size} validation, {test_size} test images of shape "
        f"{tuple(train_images.shape[1:])}" + (f" from {folder}" if folder else ""))
    facts = {"data_source": name, "data_folder": folder,
             "sizes": {"train": train_size, "val": val_size, "test": test_size},
             "input_shape": list(train_images.shape[1:])}
    return train_set, val_set, test_set, facts
