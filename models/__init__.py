"""Model factories with PyTorch-style layouts (parameter counts match the papers).

Each returns an ``nn.Sequential`` built from ``minigrad.nn`` layers; residual
networks use ``nn.Residual`` so their structure is explicit to curvature code.
"""
from .autoencoder import autoencoder, reconstruction_loss
from .lenet import lenet5
from .mlp import mlp
from .registry import MODELS, create, flat_input, loss_for, reconstructs
from .resnet9 import resnet9
from .resnet18 import resnet18
from .small_cnn import small_cnn
from .vit import vit

__all__ = ["MODELS", "autoencoder", "create", "flat_input", "lenet5", "loss_for", "mlp",
           "reconstructs", "reconstruction_loss", "resnet18", "resnet9", "small_cnn", "vit"]
