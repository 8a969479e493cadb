"""``Parameter``: a leaf Tensor that a Module registers as trainable."""
from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor that requires grad and is listed by ``Module.parameters()``."""

    def __init__(self, data, requires_grad=True):
        if isinstance(data, Tensor):
            data = data.data
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return f"Parameter(shape={self.shape}, dtype={self.dtype})"
