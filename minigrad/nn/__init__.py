"""Layers and losses as Modules (PyTorch's ``torch.nn`` names)."""
from . import functional, init, utils
from .activation import Identity, LeakyReLU, ReLU, Sigmoid, Softplus, Tanh
from .attention import MultiheadAttention
from .batch_norm_update import update_bn
from .container import ModuleDict, ModuleList, Sequential
from .conv import Conv2d
from .conv_transpose import ConvTranspose2d
from .dropout import Dropout
from .embedding import Embedding
from .flatten import Flatten
from .gelu import GELU
from .hooks import RemovableHandle
from .init import manual_seed
from .layer_norm import LayerNorm
from .linear import Linear
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from .module import Module
from .normalization import BatchNorm1d, BatchNorm2d
from .parameter import Parameter
from .pooling import AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, MaxPool2d
from .residual import Residual
from .softmax import LogSoftmax, Softmax
from .transformer import TransformerEncoder, TransformerEncoderLayer
