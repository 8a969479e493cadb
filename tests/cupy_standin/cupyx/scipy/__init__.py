"""``cupyx.scipy`` of the stand-in: ``special.erf`` only."""
from . import special  # noqa: F401
