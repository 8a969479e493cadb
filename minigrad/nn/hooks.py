"""``RemovableHandle``: what ``register_forward_hook`` and ``register_forward_pre_hook`` return.

``handle.remove()`` (or leaving a ``with handle:`` block) takes the hook out of
the module's ordered dict of hooks; removing twice is harmless, as in PyTorch.
"""
import itertools

_ids = itertools.count()


class RemovableHandle:
    """A key into one module's hook dict; ``remove()`` deletes the hook."""

    def __init__(self, hooks):
        self.hooks, self.id = hooks, next(_ids)

    def remove(self):
        self.hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()
