"""The ops sit below the layers: no module of ``minigrad.ops`` imports ``minigrad.nn``."""
import ast
import pathlib

import pytest

from minigrad import ops

OP_FILES = sorted(pathlib.Path(ops.__file__).parent.glob("*.py"))


def _imported_modules(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            yield "." * node.level + (node.module or "")
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


@pytest.mark.parametrize("path", OP_FILES, ids=[p.name for p in OP_FILES])
def test_op_module_does_not_import_nn(path):
    offending = [m for m in _imported_modules(path)
                 if m.lstrip(".").split(".")[0] == "nn" or m.startswith("minigrad.nn")]
    assert not offending, f"{path.name} imports {offending}"
