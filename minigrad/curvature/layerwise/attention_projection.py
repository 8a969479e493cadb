"""The in-projection of a self-attention ``nn.MultiheadAttention`` as a Kronecker layer.

With ``query is key is value`` (``TransformerEncoderLayer``, ``models.vit``) the attention
projects its input x (N, L, E) once through the packed ``in_proj_weight`` (3E, E) and
``in_proj_bias`` (3E,): ``[Q | K | V] = x W_inᵀ + b_in`` (N, L, 3E), a ``Linear`` with 3E
outputs shared over the L tokens, which the module's child ``in_proj`` computes
(``minigrad/nn/attention.py``). Its call is recorded like a ``Linear`` call (``LeafStep`` with
the ``Linear`` rules of the shared-axis form): input rows ``ā = [x_n,t; 1]`` (E + 1 with a
bias) and the columns ``C`` at the packed output, so

    G ⊗ A,   A (E + 1, E + 1),   G (3E, 3E)     over [in_proj_weight.ravel(), in_proj_bias]

come out of ``kronecker.py`` and ``ekfac.py`` as any token ``Linear``'s, with ``approx``
"expand" or "reduce" (``weight_sharing.py``). G couples the query, key and value rows: it is
the factor of the one packed map, not of three separate ones.

With three different inputs (cross-attention, ``query is not key``) the three row blocks of
``in_proj_weight`` act on three inputs, so the parameter is no single ``Linear``: the
Kronecker methods refuse the model (``in_projection_records``), pointing to the exact
Gauss-Newton diagonal and blocks (``diag_ggn``, ``block_ggn``), which take any model.
"""
from ...nn.linear import Linear
from .derivatives import DERIVATIVES


class InProjectionStep:
    """The packed in-projection call of a ``MultiheadAttention`` ``module``: ``x`` (N, L, E),
    ``out`` (N, L, 3E), ``params`` [in_proj_weight, in_proj_bias (when present)], read by the
    ``Linear`` rules of the shared-axis form."""

    rules = DERIVATIVES[Linear]

    def __init__(self, module, x, out):
        self.module, self.x, self.out = module, x, out
        self.params = [p for p in (module.in_proj_weight, module.in_proj_bias) if p is not None]


def in_projection_records(call, method):
    """``[(InProjectionStep, packed output Tensor)]`` of a ``MultiheadAttention`` call; a
    ``ValueError`` naming the module (for ``method``) when it was called with query, key and
    value that differ."""
    projections = [child for child in call.children if child.module is call.module.in_proj]
    if not projections:
        raise ValueError(
            f"{method}: {call.label()} was called with a query, key and value that are not "
            f"one Tensor (cross-attention): the three row blocks of in_proj_weight act on "
            f"three different inputs, so it is no single Linear layer and has no Kronecker "
            f"factors; diag_ggn and block_ggn give its exact Gauss-Newton diagonal and block")
    (projection,) = projections
    return [(InProjectionStep(call.module, projection.input.data, projection.own_output.data),
             projection.own_output)]

