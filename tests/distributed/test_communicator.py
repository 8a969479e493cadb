"""The collectives, NCCL path and launcher flags, checked without an MPI library or a GPU
(the last test, on one GPU with CuPy and mpi4py, runs NCCL itself)."""
import os
import re
import subprocess
import sys

import numpy
import pytest

from minigrad.distributed.communicator import Communicator, world
from minigrad.distributed.launch import MPIRUN_FLAGS, launched_by_mpi, mpirun_command
from minigrad.distributed.launch import main as launch_main
from minigrad.distributed.nccl import NcclCollectives, nccl_type, use_local_gpu

from .fakes import FAKE_MPI, FAKE_NCCL, DeviceArray, LoopbackMPIComm, current_stream
from .launcher import ROOT, requires_mpi


def test_all_reduce_sums_and_the_mean_divides_by_the_size():
    comm = Communicator(LoopbackMPIComm(rank=1, size=4), FAKE_MPI)
    assert (comm.rank, comm.size) == (1, 4)
    numpy.testing.assert_array_equal(comm.all_reduce(numpy.arange(3.0)), [0.0, 4.0, 8.0])
    numpy.testing.assert_array_equal(comm.all_reduce_mean(numpy.arange(3.0)), [0.0, 1.0, 2.0])
    assert comm.average_scalar(2.5) == 2.5


def test_local_rank_is_the_rank_within_the_node():
    assert Communicator(LoopbackMPIComm(rank=3, size=4), FAKE_MPI).local_rank == 1


def test_a_non_contiguous_array_is_refused():
    comm = Communicator(LoopbackMPIComm(), FAKE_MPI)
    with pytest.raises(ValueError, match=r"shape \(3, 2\) must be C-contiguous"):
        comm.all_reduce(numpy.ones((2, 3)).T)


def test_nccl_all_reduce_passes_device_pointers_without_a_host_copy():
    comm = Communicator(LoopbackMPIComm(rank=0, size=2), FAKE_MPI)
    nccl = NcclCollectives.create(comm, FAKE_NCCL, current_stream)
    assert (nccl.communicator.size, nccl.communicator.rank) == (2, 0)
    assert nccl.communicator.unique_id == (42,) * 8
    array = DeviceArray(10, "float32", pointer=777)
    assert nccl.all_reduce(array) is array
    nccl.broadcast(DeviceArray(5, "float64", pointer=888), root=0)
    assert nccl.communicator.calls == [("allReduce", 777, 777, 10, 7, 0, 1234),
                                       ("bcast", 888, 5, 8, 0, 1234)]


def test_nccl_refuses_an_unsupported_dtype():
    with pytest.raises(TypeError, match="dtype complex128 is not supported"):
        nccl_type(FAKE_NCCL, numpy.dtype("complex128"))


@requires_mpi
def test_mpirun_command_carries_the_project_flags():
    command = mpirun_command(2, ["python", "-c", "pass"])
    assert command[1:3] == ["-n", "2"]
    assert tuple(command[3:3 + len(MPIRUN_FLAGS)]) == MPIRUN_FLAGS
    assert command[-3:] == ["python", "-c", "pass"]
    with pytest.raises(ValueError, match="processes must be an integer ≥ 1, got 0"):
        mpirun_command(0, ["python"])


def test_launched_by_mpi_reads_the_launcher_variables(monkeypatch):
    for name in ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert not launched_by_mpi()
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "2")
    assert launched_by_mpi()


def _nccl_and_gpu():
    try:
        import cupy
        from cupy.cuda import nccl  # noqa: F401
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # no CuPy, no NCCL in it, or no usable CUDA device
        return False


requires_nccl = pytest.mark.skipif(not _nccl_and_gpu(),
                                   reason="needs CuPy with NCCL and a CUDA GPU")


@requires_mpi
@requires_nccl
def test_a_cupy_array_is_reduced_by_nccl_on_the_device():
    from minigrad import backend
    comm = world()
    use_local_gpu(comm)
    try:
        cupy = backend.array_module()
        array = cupy.arange(4.0)
        pointer = array.data.ptr
        comm.all_reduce_mean(array)
        assert isinstance(array, cupy.ndarray) and array.data.ptr == pointer
        numpy.testing.assert_array_equal(cupy.asnumpy(array), numpy.arange(4.0))
        assert comm._nccl is not None
    finally:
        backend.use("numpy")


@requires_mpi
def test_the_launcher_starts_the_ranks_and_returns_their_status():
    script = ("from minigrad.distributed import world; c = world(); "
              "print(f'rank {c.rank} of {c.size}', flush=True); raise SystemExit(c.rank * 3)")
    result = subprocess.run([sys.executable, "-m", "minigrad.distributed.launch", "-n", "2",
                             sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                            text=True, timeout=60,
                            env=dict(os.environ, PYTHONPATH=str(ROOT), MINIGRAD_BACKEND="numpy"))
    assert sorted(re.findall(r"rank \d of \d", result.stdout)) == ["rank 0 of 2", "rank 1 of 2"]
    assert result.returncode != 0


def test_the_launcher_refuses_a_bad_process_count():
    with pytest.raises(SystemExit, match="-n needs an integer number of processes, got 'two'"):
        launch_main(["-n", "two", "python"])
