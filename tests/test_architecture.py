"""The layering reads in the imports: ``optim`` reaches curvature only through the closure it
is handed and never imports ``minigrad.nn``; inside ``minigrad`` only the training command
(``minigrad/train/``) imports ``models`` or ``optim``."""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _absolute_imports(path, package):
    """Every module ``path`` imports, relative imports resolved against ``package``."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                yield ".".join(base + ([node.module] if node.module else []))
            else:
                yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def _package_of(path):
    return ".".join(path.relative_to(ROOT).parent.parts)


OPTIM_FILES = sorted((ROOT / "optim").glob("*.py"))
MINIGRAD_FILES = sorted(p for p in (ROOT / "minigrad").rglob("*.py")
                        if "train" not in p.relative_to(ROOT / "minigrad").parts)


@pytest.mark.parametrize("path", OPTIM_FILES, ids=[p.name for p in OPTIM_FILES])
def test_optim_imports_neither_nn_nor_curvature(path):
    offending = [m for m in _absolute_imports(path, _package_of(path))
                 if m.startswith(("minigrad.nn", "minigrad.curvature"))]
    assert not offending, f"optim/{path.name} imports {offending}"


@pytest.mark.parametrize("path", MINIGRAD_FILES,
                         ids=[str(p.relative_to(ROOT)) for p in MINIGRAD_FILES])
def test_only_the_training_command_imports_models_or_optim(path):
    offending = [m for m in _absolute_imports(path, _package_of(path))
                 if m.split(".")[0] in ("models", "optim")]
    assert not offending, f"{path.relative_to(ROOT)} imports {offending}"
