"""Every docstring example (``>>>``) of every module under ``minigrad/``, ``optim/`` and ``models/``
runs as a doctest, so an example that goes stale fails the suite. ``__main__`` modules are
commands (importing one runs it) and are left out."""
import doctest
import importlib
import pkgutil

import pytest

import minigrad
import models
import optim


def _module_names():
    names = []
    for package in (minigrad, optim, models):
        names.append(package.__name__)
        names += [info.name for info in pkgutil.walk_packages(package.__path__,
                                                              package.__name__ + ".")]
    return sorted(name for name in names if not name.endswith(".__main__"))


@pytest.mark.parametrize("name", _module_names())
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in doctest.DocTestFinder().find(module, name):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed"
