"""The training command, with rank 1 raising at its third optimizer step (rank 0 then waits
in the step's all-reduce): the job must end, naming rank 1. Flags: those of the command."""
import sys

from minigrad.distributed import world
from minigrad.train import command, trainer

steps = []


def failing_step(optimizer, closure):
    steps.append(1)
    if len(steps) == 3:
        raise RuntimeError("rank 1 fails on purpose at step 3")
    return step(optimizer, closure)


step = trainer._step
if world().rank == 1:
    trainer._step = failing_step
sys.exit(command.main(sys.argv[1:]))
