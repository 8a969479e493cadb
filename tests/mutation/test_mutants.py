"""The mutation tool: which mutants it makes, that it changes only their span, and its test map."""
import ast
import textwrap

from tests.mutation.mutants import mutated_source, mutation_points
from tests.mutation.run import ModuleTests, _expand

SOURCE = textwrap.dedent('''\
    """Docstring with 1 + 2 and σ² stays."""


    def f(x, n=2):
        """Docstring too."""
        if n < 3 and not x:
            raise ValueError(f"n is {n + 1}")
        y = -x.sum(axis=0) + x[1:n] * 2.5
        y += g(x, n)
        return y
    ''')


def _by_operator(mutants):
    found = {}
    for mutant in mutants:
        found.setdefault(mutant.operator, []).append((mutant.original, mutant.replacement))
    return found


def test_every_operator_applies_where_it_should_and_nowhere_else():
    found = _by_operator(mutation_points("m.py", SOURCE))
    assert found["compare"] == [("n < 3", "(n >= 3)")]
    assert found["boundary"] == [("n < 3", "(n <= 3)")]
    assert ("not x", "(x)") in found["boolean"]
    assert ("n < 3 and not x", "(n < 3 or not x)") in found["boolean"]
    assert found["axis"] == [("0", "(1)")]
    assert ("-x.sum(axis=0)", "(x.sum(axis=0))") in found["sign"]
    assert ("-x.sum(axis=0) + x[1:n] * 2.5", "(-x.sum(axis=0) - x[1:n] * 2.5)") in \
        found["arithmetic"]
    assert ("-x.sum(axis=0) + x[1:n] * 2.5", "(-x.sum(axis=0))") in found["drop-term"]
    assert ("x[1:n]", "(x[1 + 1:n])") in found["slice"] and \
        ("x[1:n]", "(x[1:n + 1])") in found["slice"]
    assert ("2.5", "(3.5)") in found["constant"] and ("2", "(3)") in found["constant"]
    assert found["swap-args"] == [("g(x, n)", "(g(n, x))")]
    assert found["augmented"] == [("y += g(x, n)", "y -= g(x, n)")]
    originals = [m.original for m in mutation_points("m.py", SOURCE)]
    assert not any("n + 1" in o or "1 + 2" in o for o in originals), "docstring or raise mutated"


def test_a_mutant_changes_its_span_only_and_keeps_precedence():
    for mutant in mutation_points("m.py", SOURCE):
        mutated = mutated_source(SOURCE, mutant)
        before, after = SOURCE.splitlines(), mutated.splitlines()
        assert len(before) == len(after)
        changed = [i for i, (a, b) in enumerate(zip(before, after)) if a != b]
        assert changed == [mutant.line - 1], mutant.key
    drop = next(m for m in mutation_points("m.py", "z = a * b * c\n")
                if m.original == "a * b" and m.operator == "arithmetic")
    tree = ast.parse(mutated_source("z = a * b * c\n", drop))
    assert ast.unparse(tree) == "z = a / b * c"
    plus = next(m for m in mutation_points("m.py", "z = a * b + c\n")
                if m.original == "a * b" and m.operator == "arithmetic")
    assert mutated_source("z = a * b + c\n", plus) == "z = (a / b) + c\n"


def test_the_map_finds_the_tests_that_use_a_module_or_its_importers():
    sources = _expand(["minigrad/ops/*.py"])
    tests = _expand(["tests/minigrad/ops"])
    module_tests = ModuleTests(sources, tests)
    conv = module_tests.tests_for("minigrad/ops/conv.py")
    assert conv[0] in ("tests/minigrad/ops/test_conv.py",
                       "tests/minigrad/ops/test_dilated_window_gradients.py")
    assert "tests/minigrad/ops/test_pooling.py" in conv
    assert set(conv) < set(tests)
