"""Every tutorial in ``demos/tutorials`` executes as a notebook: no cell raises, every check holds.

Each ``NN_name.py`` (Jupytext ``py:percent``) is converted and run in a fresh kernel by
``demos/tutorials/run_tutorials.py``; a failing ``assert`` in a checking cell, or any other
exception, fails the test with the cell and its error. The tutorials compute references
with NumPy on the parameters' arrays, so they run on the NumPy backend only.
"""
import os

import pytest

from demos.tutorials import run_tutorials

pytest.importorskip("jupytext", reason="the tutorials need the test extra: pip install -e \".[test]\"")
pytest.importorskip("nbclient", reason="the tutorials need the test extra: pip install -e \".[test]\"")
pytest.importorskip("ipykernel", reason="the tutorials need the test extra: pip install -e \".[test]\"")

pytestmark = pytest.mark.skipif(
    os.environ.get("MINIGRAD_BACKEND", "numpy") != "numpy",
    reason="the tutorials compute their references with NumPy on the parameters' arrays; "
           "they run on the NumPy backend")


def test_there_are_seven_tutorials():
    assert [path.name[:3] for path in run_tutorials.tutorial_paths()] == \
        [f"{n:02d}_" for n in range(1, 8)]


@pytest.mark.parametrize("path", run_tutorials.tutorial_paths(), ids=lambda path: path.stem)
def test_tutorial_executes_and_its_checks_hold(path):
    notebook, _ = run_tutorials.execute(path)
    images = [output for cell in notebook.cells for output in cell.get("outputs", [])
              if "image/png" in output.get("data", {})]
    assert images, f"{path.name} draws no figure"
