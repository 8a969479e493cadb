"""Global switch for graph recording (``no_grad``, ``enable_grad``)."""
import contextlib

_enabled = [True]


def is_grad_enabled():
    """Whether ops record the graph needed for backward."""
    return _enabled[0]


@contextlib.contextmanager
def set_grad_enabled(mode):
    """Context manager that turns graph recording on or off inside its block."""
    previous = _enabled[0]
    _enabled[0] = bool(mode)
    try:
        yield
    finally:
        _enabled[0] = previous


def no_grad():
    """Context manager: ops inside it record no graph (as ``torch.no_grad``)."""
    return set_grad_enabled(False)


def enable_grad():
    """Context manager: ops inside it record the graph again."""
    return set_grad_enabled(True)
