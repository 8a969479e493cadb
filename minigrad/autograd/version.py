"""Version counters: how often the memory of an array has been changed in place.

Every in-place op on a Tensor (``add_``, ``-=``, ``zero_``, ...) calls ``bump``
on its array. Arrays that are views of one another share their root buffer
(``array.base``, followed to the end), and the counter belongs to that root,
so changing a view also changes the version of the array it views, as
PyTorch's views share one version counter. A graph node records the versions
of the arrays it saved when it is created; ``check_saved`` at backward time
raises PyTorch's error when one of them changed since, instead of returning a
gradient computed from the wrong values.

The counters live in a dict keyed by ``id`` of the root buffer; an entry is
removed when its buffer is freed (where the array type supports weak
references), so a later array at the same address starts at version 0.
"""
import weakref

_versions = {}


def _root(array):
    while getattr(array, "base", None) is not None:
        array = array.base
    return array


def version(array):
    """The number of in-place changes of the memory of ``array`` so far."""
    entry = _versions.get(id(_root(array)))
    return 0 if entry is None else entry[0]


def bump(array, op_name):
    """Record that ``op_name`` changed the memory of ``array`` in place."""
    root = _root(array)
    key = id(root)
    if key not in _versions:
        try:
            weakref.finalize(root, _versions.pop, key, None)
        except TypeError:
            pass
    count = _versions.get(key, (0, None))[0]
    _versions[key] = (count + 1, op_name)


def check_saved(node, tensors, saved_versions, role):
    """Raise if any of ``tensors`` (saved by ``node``) was changed in place since it was saved."""
    for position, (tensor, saved) in enumerate(zip(tensors, saved_versions)):
        entry = _versions.get(id(_root(tensor.data)))
        current, op_name = (0, None) if entry is None else entry
        if current != saved:
            raise RuntimeError(
                f"one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{tensor.dtype} tensor of shape {list(tensor.shape)}], "
                f"which is {role} {position} of {type(node).__name__}, is at version {current}; "
                f"expected version {saved} instead (last changed in place by {op_name}). Hint: "
                f"do the in-place change after the backward, or on a copy (x = x.clone())")
