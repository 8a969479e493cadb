"""Backend selection: NumPy default, a clear error for CuPy without CuPy, host/device moves."""
import importlib.util

import numpy
import pytest

import minigrad
from minigrad import backend
from tests.helpers import requires_cupy

HAS_CUPY = importlib.util.find_spec("cupy") is not None


def test_numpy_is_the_default_and_ops_follow_their_inputs():
    assert backend.get_array_module(numpy.zeros(2)) is numpy
    assert minigrad.tensor([1.0]).xp is numpy or backend.backend_name() == "cupy"


@pytest.mark.skipif(HAS_CUPY, reason="CuPy is installed here, so the missing-CuPy error cannot occur")
def test_cupy_request_without_cupy_names_what_is_missing():
    with pytest.raises(RuntimeError, match="CuPy is not installed"):
        minigrad.use("cupy")
    assert backend.backend_name() == "numpy"


def test_unknown_backend_is_rejected():
    with pytest.raises(ValueError, match="unknown backend 'jax'"):
        minigrad.use("jax")


def test_scatter_add_sums_repeated_indices():
    target = numpy.zeros(3)
    backend.scatter_add(target, numpy.array([0, 0, 2]), numpy.array([1.0, 2.0, 5.0]))
    numpy.testing.assert_array_equal(target, [3.0, 0.0, 5.0])


@requires_cupy
def test_tensor_moves_between_host_and_device():
    x = minigrad.tensor(numpy.arange(3.0))
    on_gpu = x.to("cuda")
    assert on_gpu.device == "cuda"
    numpy.testing.assert_array_equal(on_gpu.to("cpu").numpy(), numpy.arange(3.0))


def test_array_module_is_the_module_new_tensors_are_created_on():
    xp = minigrad.array_module()
    assert xp.__name__ == minigrad.backend_name()
    assert minigrad.get_array_module(minigrad.tensor([1.0]).data) is xp


def test_device_memory_is_reported_and_released_through_the_pool():
    if backend.backend_name() == "numpy":
        assert backend.memory_allocated() == backend.memory_reserved() == 0
        backend.empty_cache()
        return
    xp = backend.array_module()
    backend.empty_cache()
    start = backend.memory_allocated()
    block = xp.zeros(1 << 18, dtype=xp.float32)
    assert backend.memory_allocated() >= start + (1 << 20)
    del block
    assert backend.memory_reserved() >= start + (1 << 20)
    backend.empty_cache()
    assert backend.memory_reserved() < start + (1 << 20)


def test_using_selects_a_backend_for_a_block_and_restores_the_previous_one():
    previous = backend.backend_name()
    with backend.using("numpy"):
        assert backend.backend_name() == "numpy"
    assert backend.backend_name() == previous
    with pytest.raises(KeyError):
        with backend.using("numpy"):
            raise KeyError("the block failed")
    assert backend.backend_name() == previous
    with pytest.raises(ValueError, match="unknown backend 'tpu'"):
        with backend.using("tpu"):
            pass
    assert backend.backend_name() == previous
