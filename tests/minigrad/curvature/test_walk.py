"""The one walk over recorded steps: order of leaves and of the values carried through blocks."""
from minigrad.curvature.layerwise.recording import record_forward
from minigrad.curvature.layerwise.walk import parameterised_leaves, walk_backward, walk_forward
from tests.minigrad.curvature.layerwise_reference import residual_case


def test_parameterised_leaves_follow_parameters_order():
    model, _, x, _ = residual_case()
    steps, _ = record_forward(model, x)
    params = [p for step in parameterised_leaves(steps) for p in step.params]
    assert [id(p) for p in params] == [id(p) for p in model.parameters()]


def test_walks_visit_leaves_in_opposite_orders_and_join_blocks():
    model, _, x, _ = residual_case()
    steps, _ = record_forward(model, x)

    def through_leaf(step, names):
        return names + [type(step.module).__name__]

    def through_block(step, names, walk):
        return walk(step.branch, names) + ["|"] + walk(step.shortcut, [])

    forward = walk_forward(steps, [], through_leaf, through_block)
    backward = walk_backward(steps, [], through_leaf, through_block)
    assert forward == ["Linear", "Tanh", "Linear", "Sigmoid", "Linear", "|", "Linear",
                       "Softplus", "Linear"]
    assert backward == ["Linear", "Softplus", "Linear", "Sigmoid", "Linear", "Tanh", "|",
                        "Linear", "Linear"]
