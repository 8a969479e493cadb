"""The matrix-free half: exact curvature-vector products by automatic differentiation, operators,
Hutchinson estimates, Lanczos spectra and the analyses built on them.

Works on any model through double backward, with flat ``(P,)`` vectors and ``LinearOperator``s;
nothing here imports the layerwise half (``layerwise``).
"""
from .analysis import class_gradients, diagonal_dominance, residual_split, subspace_overlap
from .hutchinson import hutchinson_diag, hutchinson_trace
from .operators import LinearOperator, aslinearoperator, ggn_operator, hessian_operator
from .products import GaussNewtonProduct, HessianProduct, ggnvp, hessian, hvp, hvp_fd
from .spectrum import lanczos_quadrature, quadrature_density, spectral_density, top_eigen
