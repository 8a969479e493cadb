"""The one walk over recorded steps: the only place that tells a leaf from a ``Residual`` block.

A recorded chain (``recording.py``) is a list of steps, each a ``LeafStep`` (one module) or a
``ResidualStep`` (``out = branch(x) + shortcut(x)``, two sub-chains). Every computation on the
chain carries one value through it, from the output down (``walk_backward``: columns,
gradients, products with Jᵀ) or from the input up (``walk_forward``: tangents, products
with J). A computation says what happens at a leaf, ``through_leaf(step, value)``, and at a
block, ``through_block(step, value, walk)``, where ``walk(chain, value)`` continues the same
walk down (or up) one of the block's chains; the walk itself does nothing else.
"""
from .recording import ResidualStep


def _walk(steps, value, through_leaf, through_block, backward):
    def walk(chain, start):
        return _walk(chain, start, through_leaf, through_block, backward)

    for step in (reversed(steps) if backward else steps):
        if isinstance(step, ResidualStep):
            value = through_block(step, value, walk)
        else:
            value = through_leaf(step, value)
    return value


def walk_backward(steps, value, through_leaf, through_block):
    """``value`` at the output of ``steps`` carried down to their input (last step first)."""
    return _walk(steps, value, through_leaf, through_block, backward=True)


def walk_forward(steps, value, through_leaf, through_block):
    """``value`` at the input of ``steps`` carried up to their output (first step first)."""
    return _walk(steps, value, through_leaf, through_block, backward=False)


def leaves(steps):
    """Every leaf step, blocks opened (branch, then shortcut), in forward order."""
    found = []

    def collect(step, value):
        found.append(step)

    def open_block(step, value, walk):
        walk(step.branch, value)
        walk(step.shortcut, value)

    walk_forward(steps, None, collect, open_block)
    return found


def parameterised_leaves(steps):
    """Leaf steps that have parameters, in forward (= ``parameters()``) order."""
    return [step for step in leaves(steps) if step.params]
