"""``all_reduce_mean(x, comm)``: the mean over ranks as a differentiable op.

Forward ``y = (1/K) Σ_r x_r`` (every rank gets ``y``). With data-parallel gradients
averaged over ranks, the global loss is ``L = (1/K) Σ_r L_r`` and each ``L_r`` reads the
same ``y``, so the gradient to send back to ``x_r`` is ``(1/K) Σ_r' ∂L_r'/∂y``: the
backward is the same op on the incoming gradient (the op is self-adjoint). Being built
from itself, the backward differentiates again (Hessian-vector products through it). All
ranks must run the same graph, so the collectives are met in the same order.
"""
from ..autograd.function import Function


class AllReduceMean(Function):
    """``y = (1/K) Σ_r x_r`` over the ranks of ``comm``; backward: the same on the gradient."""

    def forward(self, x, comm):
        self.comm = comm
        return comm.all_reduce_mean(x.copy())

    def backward(self, grad_output):
        return (all_reduce_mean(grad_output, self.comm),)


def all_reduce_mean(x, comm):
    """The mean of the Tensor ``x`` over the ranks of ``comm`` (differentiable)."""
    return AllReduceMean.apply(x, comm=comm)
