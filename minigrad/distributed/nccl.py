"""NCCL collectives for CuPy arrays: all-reduce and broadcast on the device, no host copy.

One NCCL communicator spans the ranks of the MPI communicator (one process per GPU):
rank 0 draws the NCCL unique id, MPI broadcasts it, every rank joins with its MPI rank.
A collective passes the device pointers of the array (``array.data.ptr``) to NCCL on
CuPy's current stream, so the data never leaves the GPU; the sum is NCCL's (``ncclSum``),
the same on every rank. ``use_local_gpu(comm)`` selects the CuPy backend and the GPU of
index ``comm.local_rank`` for this process, before any array is made.
"""
from .. import backend

NCCL_TYPE_NAMES = {"float16": "NCCL_FLOAT16", "float32": "NCCL_FLOAT32",
                   "float64": "NCCL_FLOAT64", "int32": "NCCL_INT32", "int64": "NCCL_INT64"}


def nccl_type(nccl, dtype):
    """The NCCL data type constant of a NumPy/CuPy ``dtype``; a clear error for others."""
    name = NCCL_TYPE_NAMES.get(str(dtype))
    if name is None:
        raise TypeError(f"NCCL collectives: dtype {dtype} is not supported (supported: "
                        f"{sorted(NCCL_TYPE_NAMES)})")
    return getattr(nccl, name)


class NcclCollectives:
    """``all_reduce`` and ``broadcast`` of CuPy arrays through one NCCL communicator."""

    def __init__(self, nccl, communicator, current_stream):
        self.nccl, self.communicator, self.current_stream = nccl, communicator, current_stream

    @classmethod
    def create(cls, comm, nccl=None, current_stream=None):
        """Join the NCCL communicator of the ranks of ``comm`` (a ``Communicator``)."""
        if nccl is None:
            import cupy
            from cupy.cuda import nccl
            current_stream = cupy.cuda.get_current_stream
        unique_id = comm.broadcast_object(nccl.get_unique_id() if comm.rank == 0 else None)
        return cls(nccl, nccl.NcclCommunicator(comm.size, unique_id, comm.rank), current_stream)

    def all_reduce(self, array):
        """``array ← Σ_r array_r`` in place on the device."""
        self.communicator.allReduce(array.data.ptr, array.data.ptr, array.size,
                                    nccl_type(self.nccl, array.dtype), self.nccl.NCCL_SUM,
                                    self.current_stream().ptr)
        return array

    def broadcast(self, array, root):
        """``array ← array_root`` in place on the device."""
        self.communicator.bcast(array.data.ptr, array.size, nccl_type(self.nccl, array.dtype),
                                root, self.current_stream().ptr)
        return array


def use_local_gpu(comm):
    """Make new arrays CuPy arrays on GPU ``comm.local_rank`` (one process per GPU)."""
    backend.use("cupy")
    cupy = backend.array_module()
    count = cupy.cuda.runtime.getDeviceCount()
    local = comm.local_rank
    if local >= count:
        raise RuntimeError(f"rank {comm.rank} is process {local} on its node, which has {count} "
                           f"GPUs: start at most one process per GPU")
    cupy.cuda.Device(local).use()
    return local
