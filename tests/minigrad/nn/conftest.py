"""Layer tests build parameters in float64 (then restore the default dtype)."""
import numpy
import pytest

import minigrad


@pytest.fixture(autouse=True)
def float64_parameters():
    previous = minigrad.get_default_dtype()
    minigrad.set_default_dtype(numpy.float64)
    yield
    minigrad.set_default_dtype(previous)
