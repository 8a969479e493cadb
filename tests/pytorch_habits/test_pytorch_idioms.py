"""The idiom table (``tests/pytorch_habits/idioms.py``) run on minigrad, and optionally on PyTorch.

Each row must give PyTorch's value, or the error PyTorch raises, or a clear
refusal; nothing may differ silently or crash. With PyTorch importable, every
expected value and error is also checked against PyTorch itself, so the table
cannot drift from what PyTorch does.
"""
import types

import numpy
import pytest

import minigrad
import optim
from minigrad import data, nn
from tests.pytorch_habits.idioms import ROWS, Refused, Same

MINIGRAD = types.SimpleNamespace(lib=minigrad, nn=nn, F=nn.functional, optim=optim,
                                 lr_scheduler=optim.lr_scheduler, DataLoader=data.DataLoader,
                                 TensorDataset=data.TensorDataset)


def torch_namespace():
    torch = pytest.importorskip("torch")
    import torch.utils.data
    return types.SimpleNamespace(lib=torch, nn=torch.nn, F=torch.nn.functional,
                                 optim=torch.optim, lr_scheduler=torch.optim.lr_scheduler,
                                 DataLoader=torch.utils.data.DataLoader,
                                 TensorDataset=torch.utils.data.TensorDataset)


def plain(value):
    """Tensors as nested lists, dtypes by name, sequences element by element."""
    if hasattr(value, "tolist") and hasattr(value, "dtype"):
        return value.tolist()
    if isinstance(value, numpy.dtype) or type(value).__name__ == "dtype":
        return str(value).replace("torch.", "")
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def assert_matches(got, expected, where="value"):
    if isinstance(expected, (list, tuple)):
        assert isinstance(got, (list, tuple)) and len(got) == len(expected), \
            f"{where}: got {got!r}, expected {expected!r}"
        for i, (g, e) in enumerate(zip(got, expected)):
            assert_matches(g, e, f"{where}[{i}]")
    elif isinstance(expected, float):
        assert isinstance(got, (int, float)) and not isinstance(got, bool) and \
            got == pytest.approx(expected, rel=1e-5, abs=1e-6), \
            f"{where}: got {got!r}, expected {expected!r}"
    else:
        assert type(got) is type(expected) and got == expected, \
            f"{where}: got {got!r}, expected {expected!r}"


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_idiom_on_minigrad(row):
    if isinstance(row.expected, (Same, Refused)):
        with pytest.raises(row.expected.error, match=row.expected.pattern):
            row.run(MINIGRAD)
    else:
        assert_matches(plain(row.run(MINIGRAD)), row.expected)


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_idiom_expectation_is_what_pytorch_does(row):
    T = torch_namespace()
    if isinstance(row.expected, Same):
        with pytest.raises(row.expected.error):
            row.run(T)
    elif isinstance(row.expected, Refused):
        row.run(T)
    else:
        assert_matches(plain(row.run(T)), row.expected)


def test_table_size_and_outcomes():
    same = [row for row in ROWS if not isinstance(row.expected, Refused)]
    assert len(ROWS) >= 79 and len(same) >= 70
