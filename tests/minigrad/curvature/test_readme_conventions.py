"""The examples of ``minigrad/curvature/README.md`` (the conventions table) run as doctests."""
import doctest
import pathlib

import numpy

import minigrad

README = pathlib.Path(__file__).resolve().parents[3] / "minigrad" / "curvature" / "README.md"


def test_every_conventions_example_in_the_readme_passes():
    try:
        result = doctest.testfile(str(README), module_relative=False,
                                  optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    finally:
        minigrad.set_default_dtype(numpy.float32)
    assert result.attempted >= 12
    assert result.failed == 0
