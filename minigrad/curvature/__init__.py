"""Curvature of the mean batch loss: exact products, layerwise blocks, Kronecker factors, spectra.

Conventions (the loss reductions, row-major flat parameter order, output-side Kronecker
factor first, the recursion) are written in ``minigrad/curvature/README.md``. The matrix-free side works with flat
``(P,)`` vectors and ``LinearOperator``s; the layerwise side computes blocks,
diagonals and Kronecker factors by the per-sample Hessian recursion.
"""
from .autodiff import (GaussNewtonProduct, HessianProduct, LinearOperator, aslinearoperator,
                       class_gradients, diagonal_dominance, ggn_operator, ggnvp, hessian,
                       hessian_operator, hutchinson_diag, hutchinson_trace, hvp, hvp_fd,
                       lanczos_quadrature, quadrature_density, residual_split, spectral_density,
                       subspace_overlap, top_eigen)
from .closure import Closure
from .flat import (arrays_to_vector, flat_gradient, num_parameters, parameter_list,
                   vector_to_arrays)
from .layerwise import (DERIVATIVES, LOSS_DERIVATIVES, BlockOperator, KroneckerFactors, block_ggn,
                        block_hessian, derivatives_for, diag_ggn, diag_hessian, ggn, kfac, kflr,
                        kfra)
