"""The layerwise half: per-layer rules, the walk, the Hessian recursion, blocks, diagonals, Kronecker factors.

Every quantity here is computed from one recorded forward pass of a batch and per-layer
derivative rules (``derivatives``); nothing here imports the matrix-free half (``autodiff``).
"""
from .block_operator import BlockOperator
from .blocks import block_ggn, block_hessian
from .derivatives import DERIVATIVES, derivatives_for
from .diagonal import diag_ggn, diag_hessian
from .ggn import ggn
from .kronecker import kfac, kflr, kfra
from .kronecker_factors import KroneckerFactors
from .losses import LOSS_DERIVATIVES
