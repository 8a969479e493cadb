"""Solutions to the exercises of tutorial 7, the same code on a GPU and on several processes."""
import numpy as np

from minigrad import backend


def shard_mean(values, shards):
    """The mean of equal shards' means equals the global mean (up to rounding)."""
    return float(np.mean([shard.mean() for shard in np.split(values, shards)]))


def to_host_all(arrays):
    """``backend.to_host`` of each array (NumPy arrays pass through)."""
    return [backend.to_host(a) for a in arrays]
