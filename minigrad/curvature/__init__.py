"""Curvature of the mean batch loss: exact products, layerwise blocks, Kronecker factors, spectra.

Conventions (the loss reductions, row-major flat parameter order, output-side Kronecker
factor first, the recursion) are written in ``minigrad/curvature/README.md``. The matrix-free side works with flat
``(P,)`` vectors and ``LinearOperator``s; the layerwise side computes blocks,
diagonals and Kronecker factors by the per-sample Hessian recursion.
"""
from .analysis import class_gradients, diagonal_dominance, residual_split, subspace_overlap
from .block_operator import BlockOperator
from .blocks import block_ggn, block_hessian
from .derivatives import DERIVATIVES, derivatives_for
from .diagonal import diag_ggn, diag_hessian
from .ggn import ggn
from .kronecker import kfac, kflr, kfra
from .kronecker_factors import KroneckerFactors
from .losses import LOSS_DERIVATIVES
from .closure import Closure
from .flat import (arrays_to_vector, flat_gradient, num_parameters, parameter_list,
                   vector_to_arrays)
from .hutchinson import hutchinson_diag, hutchinson_trace
from .operators import LinearOperator, aslinearoperator, ggn_operator, hessian_operator
from .products import GaussNewtonProduct, HessianProduct, ggnvp, hessian, hvp, hvp_fd
from .spectrum import lanczos_quadrature, quadrature_density, spectral_density, top_eigen
