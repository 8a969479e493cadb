"""How a training run ends other than by finishing, and the exit status each gives.

    UsageError            a bad setting, run folder or checkpoint       exit 2
    NonFiniteLossError    a non-finite loss or parameters              exit 1
    OSError               a file could not be written (a full disk);   exit 1
                          the previous checkpoint is kept
    TrainingInterrupted   Ctrl-C; a checkpoint that resumes exactly    exit 130
                          was written first
"""
USAGE_STATUS, NON_FINITE_STATUS, WRITE_FAILED_STATUS, INTERRUPTED_STATUS = 2, 1, 1, 130


class UsageError(ValueError):
    """A user error of the training command; the message names the flag or file."""


class NonFiniteLossError(FloatingPointError):
    """Training produced a non-finite loss or non-finite parameters."""


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped on SIGINT after the batch in progress; ``checkpoint`` is where it was
    saved (``None`` for a run without an output folder)."""

    def __init__(self, message, checkpoint):
        super().__init__(message)
        self.checkpoint = checkpoint
