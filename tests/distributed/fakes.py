"""Stand-ins for MPI and NCCL, so the single-process logic is tested without an MPI library.

``LoopbackMPIComm`` is an mpi4py-like communicator of ``size`` ranks seen from ``rank``
whose peers all hold the same data: ``Allreduce`` multiplies by ``size``, ``Bcast`` and
``bcast`` return the data unchanged. ``FakeNccl`` records the calls a NCCL communicator
gets; ``DeviceArray`` is an array with a device pointer (``.data.ptr``) and no host copy.
"""
import types

import numpy

FAKE_MPI = types.SimpleNamespace(IN_PLACE="IN_PLACE", SUM="SUM", COMM_TYPE_SHARED="SHARED")


class LoopbackMPIComm:
    def __init__(self, rank=0, size=1):
        self.rank, self.size, self.calls = rank, size, []

    def Get_rank(self):
        return self.rank

    def Get_size(self):
        return self.size

    def Allreduce(self, send, receive, op):
        assert send == "IN_PLACE" and op == "SUM"
        self.calls.append(("Allreduce", receive.size))
        receive *= self.size

    def Bcast(self, array, root):
        self.calls.append(("Bcast", array.size))

    def bcast(self, value, root):
        self.calls.append(("bcast", root))
        return value

    def Split_type(self, split_type, key):
        assert split_type == "SHARED"
        return LoopbackMPIComm(self.rank % 2, 2)

    def Free(self):
        self.calls.append(("Free",))

    def Abort(self, code):
        self.calls.append(("Abort", code))


class DeviceArray:
    """An array on a device: ``size``, ``dtype`` and a pointer; reading it on the host fails."""

    def __init__(self, size, dtype, pointer):
        self.size, self.dtype = size, numpy.dtype(dtype)
        self.data = types.SimpleNamespace(ptr=pointer)

    def __array__(self, *args, **kwargs):
        raise AssertionError("a device array was copied to the host")


class FakeNcclCommunicator:
    def __init__(self, size, unique_id, rank):
        self.size, self.unique_id, self.rank, self.calls = size, unique_id, rank, []

    def allReduce(self, send, receive, count, datatype, op, stream):
        self.calls.append(("allReduce", send, receive, count, datatype, op, stream))

    def bcast(self, buffer, count, datatype, root, stream):
        self.calls.append(("bcast", buffer, count, datatype, root, stream))


FAKE_NCCL = types.SimpleNamespace(
    NCCL_FLOAT16=6, NCCL_FLOAT32=7, NCCL_FLOAT64=8, NCCL_INT32=2, NCCL_INT64=4, NCCL_SUM=0,
    get_unique_id=lambda: (42,) * 8, NcclCommunicator=FakeNcclCommunicator)


def current_stream():
    return types.SimpleNamespace(ptr=1234)
