"""Input checks shared by ops and layers; each error names the caller, the shapes and dtypes.

``caller`` is the op's name (``"linear"``) or, when a layer calls the op, the
layer itself (``"Linear(in_features=3, out_features=2)"``), so one check serves
both and the message names what the user called.

    require_floating(caller, input)          a floating dtype (not int, uint8, bool, complex)
    require_dtype_of(caller, input, weight)  the weight's dtype: a float64 input to float32
                                             weights would leave a float64 gradient on them
    require_batch(caller, input)             a non-empty input (N ≥ 1 samples)
    require_sizes(caller, **sizes)           layer sizes that are integers ≥ 1
    first_outside(values, upper)             the first host integer outside [0, upper), if any
"""
import numpy

from .. import backend


def require_floating(caller, input, name="input"):
    if input.dtype.kind != "f":
        raise TypeError(f"{caller}: {name} has dtype {input.dtype} (shape {input.shape}), but a "
                        f"floating dtype is needed; convert it with {name}.float() or "
                        f"{name}.to(dtype)")


def require_dtype_of(caller, input, weight):
    require_floating(caller, input)
    if input.dtype != weight.dtype:
        raise TypeError(f"{caller}: input dtype {input.dtype} differs from weight dtype "
                        f"{weight.dtype} (input shape {input.shape}); convert the input with "
                        f"input.to({weight.dtype}) or the layer with .to({input.dtype})")


def require_batch(caller, input):
    if input.numel() == 0:
        what = "the batch is empty" if input.shape[0] == 0 else "the input has no entries"
        raise ValueError(f"{caller}: {what} (input shape {input.shape}); a loss over no "
                         "samples is undefined")


def require_sizes(caller, **sizes):
    """Raise naming ``caller`` and the argument unless every size (an int or a tuple of ints)
    is an integer ≥ 1: ``TypeError`` for a non-integer, ``ValueError`` for one below 1."""
    for name, value in sizes.items():
        for size in value if isinstance(value, tuple) else (value,):
            if isinstance(size, bool) or not isinstance(size, int):
                raise TypeError(f"{caller}: {name} must be an integer ≥ 1, got {value!r} "
                                f"({type(size).__name__})")
            if size < 1:
                raise ValueError(f"{caller}: {name} must be an integer ≥ 1, got {value!r}")


def first_outside(values, upper):
    """The first of the integer ``values`` outside ``[0, upper)`` as an int, or ``None``.

    Only values held on the host are checked: copying device values to the host would
    synchronise every batch, so the ops that index with them (the losses' labels, embedding
    indices) turn an outside value into NaN on the device instead."""
    if backend.get_array_module(values) is not numpy:
        return None
    host = numpy.asarray(values)
    bad = host[(host < 0) | (host >= upper)]
    return int(bad.ravel()[0]) if bad.size else None
