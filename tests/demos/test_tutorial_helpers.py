"""The tutorials' helpers: exercise answers, the tagged figure, and the site's link mapping."""
import base64
import importlib.util
import os
import re

import pytest

from demos.tutorials import run_tutorials

REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def exercises(monkeypatch):
    monkeypatch.syspath_prepend(str(run_tutorials.FOLDER))
    import exercises
    return exercises


def test_an_answer_is_checked_as_given(exercises, capsys):
    def sigmoid_derivative(z):
        return "mine"

    assert exercises.answer(sigmoid_derivative, "reverse_mode", 0.0) == "mine"
    assert "checking your answer" in capsys.readouterr().out


def test_an_unanswered_exercise_runs_the_solution_and_says_so(exercises, capsys):
    def sigmoid_derivative(z):
        ...

    assert exercises.answer(sigmoid_derivative, "reverse_mode", 0.0) == 0.25
    assert "not answered yet, checking the solution in solutions/reverse_mode.py" in \
        capsys.readouterr().out


def test_every_tutorial_has_exercises_and_each_has_its_solution():
    for path in run_tutorials.tutorial_paths():
        checked = re.findall(r'answer\((\w+), "(\w+)"', path.read_text(encoding="utf-8"))
        assert 2 <= len(checked) <= 3, path.name
        for function, solution in checked:
            module = importlib.import_module(f"demos.tutorials.solutions.{solution}")
            assert callable(getattr(module, function)), (path.name, function)


def test_tagged_png_finds_the_tagged_cell_or_says_none_is_there():
    png = b"\x89PNG fake"
    notebook = {"cells": [
        {"metadata": {}, "outputs": [{"data": {"image/png": base64.b64encode(b"other")}}]},
        {"metadata": {"tags": ["readme-figure"]},
         "outputs": [{"data": {"text/plain": "x"}}, {"data": {"image/png": base64.b64encode(png)}}]}]}
    notebook = type("Notebook", (), {"cells": notebook["cells"]})()
    assert run_tutorials.tagged_png(notebook, "readme-figure") == png
    with pytest.raises(LookupError, match="no cell tagged 'missing'"):
        run_tutorials.tagged_png(notebook, "missing")


def _hook():
    spec = importlib.util.spec_from_file_location(
        "repository_pages", os.path.join(REPOSITORY, "docs", "hooks", "repository_pages.py"))
    pytest.importorskip("mkdocs", reason="the site's hook needs the docs extra")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_site_links_follow_pages_kept_outside_docs():
    hook = _hook()
    pages = hook._site_pages()
    site_of = {repository: site for site, repository in pages.items()}
    assert pages["tutorials/03_layerwise_hessian_recursion.py"] == \
        "demos/tutorials/03_layerwise_hessian_recursion.py"
    link = lambda target, page: hook._site_link(target, page, pages.get(page, f"docs/{page}"),
                                                site_of)
    assert link("docs/gpu.md#top", "index.md") == "gpu.md#top"
    assert link("minigrad/curvature/README.md", "index.md") == "curvature.md"
    assert link("demos/tutorials/", "index.md") == "tutorials/index.md"
    assert link("../minigrad/curvature/README.md", "tour.md") == "curvature.md"
    assert link("01_reverse_mode.py", "tutorials/index.md") == "01_reverse_mode.py"
    assert link("../../optim/sgd.py", "curvature.md") is None


def test_doctests_become_code_blocks():
    hook = _hook()
    lines = ["Text.", "", "    >>> 1 + 1", "    [2]", "", "```", ">>> kept", "```"]
    assert hook.DoctestBlocks(None).run(lines) == \
        ["Text.", "", "", "```pycon", ">>> 1 + 1", "[2]", "```", "", "```", ">>> kept", "```"]
