"""Layer tests build parameters in float64 (then restore the default dtype)."""
from tests.helpers import float64_parameters  # noqa: F401  (autouse fixture)
