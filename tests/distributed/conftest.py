from tests.helpers import float64_parameters  # noqa: F401  (float64 defaults for every test)
