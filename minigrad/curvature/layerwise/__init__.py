"""The layerwise half: per-layer rules, the walk, the Hessian recursion, blocks, diagonals, Kronecker factors.

Every quantity here is computed from one recorded forward pass of a batch and per-layer
derivative rules (``derivatives``); nothing here imports the matrix-free half (``autodiff``).
"""
from .block_operator import BlockOperator
from .blocks import block_ggn, block_hessian
from .derivatives import DERIVATIVES, derivatives_for
from .diagonal import diag_ggn, diag_ggn_mc, diag_hessian
from .empirical_fisher import (diag_empirical_fisher, empirical_fisher,
                               empirical_fisher_operator)
from .ekfac import EKFACFactors, ekfac
from .embedding_factors import EmbeddingFactors
from .ggn import ggn
from .ggn_square_root import sqrt_ggn
from .kronecker import kfac, kflr, kfra
from .kronecker_factors import KroneckerFactors
from .losses import LOSS_DERIVATIVES
from .preactivation import preactivation_ggns, preactivation_hessians
from .per_sample_gradients import batch_grad, batch_l2_grad, sum_grad_squared, variance
