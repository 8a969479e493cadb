"""Curvature of the mean batch loss: exact products, layerwise blocks, Kronecker factors, spectra.

Conventions (the loss reductions, row-major flat parameter order, output-side Kronecker
factor first, the recursion) are written in ``minigrad/curvature/README.md``. The matrix-free side works with flat
``(P,)`` vectors and ``LinearOperator``s; the layerwise side computes blocks,
diagonals and Kronecker factors by the per-sample Hessian recursion.
"""
from .autodiff import (BatchStatistics, GaussNewtonProduct, HessianProduct, LinearOperator,
                       aslinearoperator, diagonal_dominance, ggn_operator, ggnvp,
                       hessian, hessian_operator, hutchinson_diag, hutchinson_trace,
                       hutchpp_trace, hvp, hvp_fd,
                       lanczos_quadrature, quadrature_density, residual_split, spectral_density,
                       subspace_overlap, top_eigen)
from .class_gradients import class_gradients
from .closure import Closure
from .flat import (arrays_to_vector, flat_gradient, num_parameters, parameter_list,
                   vector_to_arrays)
from .memory import DEFAULT_MEMORY_LIMIT, get_memory_limit, set_memory_limit
from .layerwise import (DERIVATIVES, LOSS_DERIVATIVES, BlockOperator, EKFACFactors, EmbeddingFactors,
                        KroneckerFactors, batch_grad, batch_l2_grad, block_ggn, block_hessian, derivatives_for,
                        diag_empirical_fisher, diag_ggn, diag_ggn_mc, diag_hessian, ekfac,
                        empirical_fisher, empirical_fisher_operator, ggn, kfac, kflr, kfra,
                        preactivation_ggns, preactivation_hessians, sqrt_ggn,
                        sum_grad_squared, variance)
