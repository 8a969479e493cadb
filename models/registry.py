"""``create(name, **kwargs)``: build a model by name (for command-line training).

    mlp                 mlp(sizes, activation="relu")          sizes required
    autoencoder-mnist   autoencoder("mnist")
    autoencoder-curves  autoencoder("curves")
    autoencoder-faces   autoencoder("faces")
    small_cnn           small_cnn(num_classes=10, in_channels=1)
    lenet5              lenet5(num_classes=10, in_channels=1, input_size=28)
    resnet9             resnet9(num_classes=10, in_channels=3)
    resnet18            resnet18(num_classes=10, in_channels=3)
"""
import functools

from .autoencoder import autoencoder
from .lenet import lenet5
from .mlp import mlp
from .resnet9 import resnet9
from .resnet18 import resnet18
from .small_cnn import small_cnn

MODELS = {
    "mlp": mlp,
    "autoencoder-mnist": functools.partial(autoencoder, "mnist"),
    "autoencoder-curves": functools.partial(autoencoder, "curves"),
    "autoencoder-faces": functools.partial(autoencoder, "faces"),
    "small_cnn": small_cnn,
    "lenet5": lenet5,
    "resnet9": resnet9,
    "resnet18": resnet18,
}


def create(name, **kwargs):
    """The model ``name`` (a key of ``MODELS``) built with ``kwargs``."""
    if name not in MODELS:
        raise ValueError(f"models.create: unknown model {name!r}; choose one of {sorted(MODELS)}")
    return MODELS[name](**kwargs)
