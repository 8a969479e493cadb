"""Every distributed test runs in float64 on the NumPy backend: MPI carries host arrays, and
the device path (NCCL) has its own tests (a recording stand-in, and a real GPU where one is)."""
import pytest

from minigrad import backend
from tests.helpers import float64_parameters  # noqa: F401  (float64 defaults for every test)


@pytest.fixture(autouse=True)
def numpy_backend():
    with backend.using("numpy"):
        yield
