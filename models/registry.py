"""Models by name: ``create``, ``loss_for`` and the input each model takes.

    name                input        loss                     built by
    mlp                 flat (N, d)  cross-entropy            mlp([d, *hidden, num_classes])
    autoencoder-mnist   flat (N, d)  reconstruction (BCE)     autoencoder("mnist")
    autoencoder-curves  flat (N, d)  reconstruction (BCE)     autoencoder("curves")
    autoencoder-faces   flat (N, d)  reconstruction (MSE)     autoencoder("faces")
    small_cnn           (N, C, H, W) cross-entropy            small_cnn(num_classes, C)
    lenet5              (N, C, H, W) cross-entropy            lenet5(num_classes, C, H)
    resnet9             (N, C, H, W) cross-entropy            resnet9(num_classes, C)
    resnet18            (N, C, H, W) cross-entropy            resnet18(num_classes, C)
    vit                 (N, C, H, W) cross-entropy            vit(num_classes, C, H)

``create(name, **kwargs)`` calls the factory with ``kwargs`` as given;
``create(name, input_shape=(C, H, W), num_classes=10, **kwargs)`` derives the
factory's size arguments from the shape of one image (``d = C·H·W``; ``hidden``
gives the MLP's hidden sizes). ``loss_for(name)`` is the loss module the model
is trained with; an autoencoder's target is its own (flattened, [0, 1]) input
(``reconstructs(name)``); ``flat_input(name)`` tells whether images are
flattened to ``(N, C·H·W)`` before the model sees them.
"""
import functools

from minigrad import nn

from .autoencoder import LAYER_SIZES, autoencoder, reconstruction_loss
from .lenet import lenet5
from .mlp import mlp
from .resnet9 import resnet9
from .resnet18 import resnet18
from .small_cnn import small_cnn
from .vit import vit

AUTOENCODER_PREFIX = "autoencoder-"
MODELS = {
    "mlp": mlp,
    "autoencoder-mnist": functools.partial(autoencoder, "mnist"),
    "autoencoder-curves": functools.partial(autoencoder, "curves"),
    "autoencoder-faces": functools.partial(autoencoder, "faces"),
    "small_cnn": small_cnn,
    "lenet5": lenet5,
    "resnet9": resnet9,
    "resnet18": resnet18,
    "vit": vit,
}


def _check(name):
    if name not in MODELS:
        raise ValueError(f"models.create: unknown model {name!r}; choose one of {sorted(MODELS)}")


def reconstructs(name):
    """Whether model ``name`` is trained to reproduce its input (an autoencoder)."""
    _check(name)
    return name.startswith(AUTOENCODER_PREFIX)


def flat_input(name):
    """Whether model ``name`` takes images flattened to ``(N, C·H·W)``."""
    _check(name)
    return name == "mlp" or reconstructs(name)


def loss_for(name):
    """The loss module model ``name`` is trained with (cross-entropy or its reconstruction loss)."""
    if reconstructs(name):
        return reconstruction_loss(name[len(AUTOENCODER_PREFIX):])
    return nn.CrossEntropyLoss()


def _sized_arguments(name, input_shape, num_classes, hidden):
    """The factory's size arguments for images of ``input_shape`` (C, H, W)."""
    channels, height = input_shape[0], input_shape[1]
    features = 1
    for size in input_shape:
        features *= int(size)
    if reconstructs(name):
        expected = LAYER_SIZES[name[len(AUTOENCODER_PREFIX):]][0]
        if features != expected:
            raise ValueError(f"models.create: {name} takes {expected} input features, but images "
                             f"of shape {tuple(input_shape)} have {features}")
        return {}
    if name == "mlp":
        return {"sizes": [features, *hidden, num_classes]}
    if name == "lenet5":
        return {"num_classes": num_classes, "in_channels": channels, "input_size": height}
    if name == "vit":
        return {"num_classes": num_classes, "in_channels": channels, "image_size": height}
    return {"num_classes": num_classes, "in_channels": channels}


def create(name, input_shape=None, num_classes=10, hidden=(128,), **kwargs):
    """The model ``name`` (a key of ``MODELS``); sized for ``input_shape`` (C, H, W) when given."""
    _check(name)
    if input_shape is None:
        return MODELS[name](**kwargs)
    if len(input_shape) != 3:
        raise ValueError(f"models.create: input_shape must be (C, H, W), got {tuple(input_shape)}")
    return MODELS[name](**_sized_arguments(name, input_shape, num_classes, hidden), **kwargs)
