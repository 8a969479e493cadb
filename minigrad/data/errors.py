"""``DataFormatError``: a data file that does not hold what its format promises.

Raised (never a partial result) for a wrong magic number, inconsistent
dimensions, a payload of the wrong length, a truncated or corrupt gzip stream,
or a pickle that names a class its format does not need. The message names the
file.
"""


class DataFormatError(ValueError):
    """A data file is malformed; the message names the file and what is wrong."""
