"""``minigrad.device``: PyTorch's device names as objects (``device("cuda")``, ``device("cpu")``).

A ``device`` is a string (``"cpu"``, ``"cuda"`` or ``"cuda:0"``) with PyTorch's
attributes ``type`` and ``index``, so it goes wherever minigrad takes a device
string (``Tensor.to``, ``Module.to``, the factories' ``device=``) and equals
its string (``device("cuda") == "cuda"``). ``"cuda"`` is the CuPy backend on one GPU; other device
types (``"mps"``, ``"xla"``, …) and other GPU indices are refused.
"""


class device(str):
    """``device("cuda")``, ``device("cuda:0")``, ``device("cuda", 0)`` or ``device("cpu")``."""

    def __new__(cls, type, index=None):
        if isinstance(type, device):
            return type
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string such as 'cpu' or 'cuda', got "
                            f"{type!r}")
        name, _, given_index = type.partition(":")
        if given_index and index is not None:
            raise ValueError(f"device: index given twice in device({type!r}, {index!r})")
        if given_index:
            index = int(given_index) if given_index.isdigit() else given_index
        if name not in ("cpu", "cuda") or (index is not None and index != 0) or (
                name == "cpu" and index is not None):
            raise ValueError(f"device: unknown device {type!r} (index {index!r}); expected "
                             "'cpu', 'cuda' or 'cuda:0' (minigrad runs on the host or on one GPU "
                             "through CuPy)")
        text = name if index is None else f"{name}:{index}"
        self = super().__new__(cls, text)
        self.type, self.index = name, index
        return self

    def __repr__(self):
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type={self.type!r}{index})"
