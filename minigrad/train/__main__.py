"""``python -m minigrad.train``: the training command (see ``minigrad.train.command``)."""
import sys

from .command import main

sys.exit(main())
