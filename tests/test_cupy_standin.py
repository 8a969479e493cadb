"""The CuPy stand-in refuses what CuPy refuses and counts every explicit transfer.

Runs when the suite is started with ``MINIGRAD_BACKEND=cupy-standin`` (see
``tests/conftest.py``); skipped otherwise, and on real CuPy.
"""
import sys

import numpy
import pytest
import scipy.linalg

import minigrad
from minigrad import backend

cupy = sys.modules.get("cupy")
pytestmark = pytest.mark.skipif(not getattr(cupy, "is_standin", False),
                                reason="needs MINIGRAD_BACKEND=cupy-standin")


@pytest.fixture
def transfers():
    cupy._transfers.reset()
    return cupy._transfers.counts


@pytest.fixture
def device():
    return cupy.arange(6.0).reshape(2, 3)


@pytest.mark.parametrize("convert", [numpy.asarray, numpy.array, lambda d: d.__array__(),
                                     numpy.ascontiguousarray])
def test_implicit_conversion_to_numpy_is_refused(device, convert):
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array"):
        convert(device)


@pytest.mark.parametrize("convert", [float, int, complex])
def test_scalar_conversion_of_a_non_scalar_is_refused(device, convert):
    with pytest.raises(TypeError, match="only size-1 arrays"):
        convert(device)


def test_truth_value_of_a_non_scalar_is_refused(device):
    with pytest.raises(ValueError, match="ambiguous"):
        bool(device > 0)


@pytest.mark.parametrize("mix", [
    lambda d, h: d + h, lambda d, h: h + d, lambda d, h: d @ h.T, lambda d, h: h * d,
    lambda d, h: numpy.add(h, d), lambda d, h: numpy.maximum(d, h),
    lambda d, h: numpy.concatenate([d, h]), lambda d, h: numpy.where(d > 0, d, h),
    lambda d, h: cupy.concatenate([d, h]), lambda d, h: cupy.exp(h),
    lambda d, h: cupy.einsum("ij,ij->i", d, h), lambda d, h: d.dot(h.T),
    lambda d, h: d.__iadd__(h), lambda d, h: d + numpy.float64(1.0) + numpy.array(1.0)],
    ids=["operator", "reflected", "matmul", "reflected-mul", "ufunc", "ufunc-maximum",
         "array-function", "array-function-where", "cupy-function", "cupy-ufunc", "einsum",
         "method", "in-place", "0-d-host-array"])
def test_mixing_numpy_and_device_arrays_is_refused(device, mix):
    with pytest.raises(TypeError, match="Unsupported type <class 'numpy.ndarray'>"):
        mix(device, numpy.ones((2, 3)))


def test_numpy_ufunc_at_is_refused(device):
    with pytest.raises(TypeError, match="numpy.add.at .*cupyx.scatter_add"):
        numpy.add.at(device, cupy.asarray([0, 0]), 1.0)


def test_scipy_on_a_device_array_is_refused(device):
    with pytest.raises(TypeError, match="Implicit conversion"):
        scipy.linalg.eigh(device @ device.T)


def test_numpy_function_without_a_stand_in_is_refused(device):
    with pytest.raises(TypeError, match="numpy.searchsorted is not available on device arrays"):
        numpy.searchsorted(device[0], 1.0)


def test_missing_features_say_the_stand_in_lacks_them(device):
    with pytest.raises(AttributeError, match=r"stand-in .* lacks cupy\.fft"):
        cupy.fft
    with pytest.raises(AttributeError, match=r"lacks cupy\.ndarray\.searchsorted"):
        device.searchsorted(1.0)
    with pytest.raises(AttributeError, match=r"lacks cupy\.linalg\.lstsq"):
        cupy.linalg.lstsq


def test_numpy_functions_and_ufuncs_on_device_arrays_stay_on_the_device(device, transfers):
    for result in (numpy.exp(device), numpy.sum(device), numpy.linalg.norm(device),
                   device.sum(), device[0, 0], cupy.linalg.norm(device), device.max(axis=0)):
        assert isinstance(result, cupy.ndarray)
    assert transfers() == {"host_to_device": 0, "device_to_host": 0}


def test_explicit_transfers_work_and_are_counted(device, transfers):
    host = numpy.arange(3.0)
    on_device = cupy.asarray(host)
    cupy.array([1.0, 2.0])
    assert cupy.asarray(on_device) is on_device
    assert transfers() == {"host_to_device": 2, "device_to_host": 0}
    numpy.testing.assert_array_equal(on_device.get(), host)
    numpy.testing.assert_array_equal(cupy.asnumpy(on_device), host)
    assert float(on_device.sum()) == 3.0
    assert on_device[1].item() == 1.0
    assert bool(on_device[2] > 1)
    assert transfers() == {"host_to_device": 2, "device_to_host": 5}
    device[numpy.array([0, 1]), 0] = numpy.array([7.0, 8.0])
    assert transfers() == {"host_to_device": 4, "device_to_host": 5}
    cupy._transfers.reset()
    assert transfers() == {"host_to_device": 0, "device_to_host": 0}


def test_scatter_add_sums_repeated_indices_on_the_device():
    target = cupy.zeros(3)
    cupy_values = cupy.asarray([1.0, 2.0, 5.0])
    backend.scatter_add(target, cupy.asarray([0, 0, 2]), cupy_values)
    numpy.testing.assert_array_equal(target.get(), [3.0, 0.0, 5.0])


def test_memory_pool_tracks_live_arrays_and_releases_its_cache():
    pool = cupy.get_default_memory_pool()
    pool.free_all_blocks()
    before = pool.used_bytes()
    block = cupy.zeros(1000, dtype=cupy.float64)
    assert pool.used_bytes() == before + 8000
    del block
    assert pool.used_bytes() == before and pool.total_bytes() >= before + 8000
    pool.free_all_blocks()
    assert pool.total_bytes() == before


def test_minigrad_runs_on_the_stand_in(transfers):
    x = minigrad.tensor(numpy.ones((2, 3)), requires_grad=True)
    assert isinstance(x.data, cupy.ndarray) and x.device == "cuda"
    (x * x).sum().backward()
    assert isinstance(x.grad.data, cupy.ndarray)
    assert transfers() == {"host_to_device": 1, "device_to_host": 0}
    numpy.testing.assert_array_equal(x.grad.numpy(), 2 * numpy.ones((2, 3)))
    assert transfers()["device_to_host"] == 1


def test_strided_views_stay_on_the_device(device):
    windows = cupy.lib.stride_tricks.as_strided(device[0], shape=(2, 2), strides=(8, 8))
    assert isinstance(windows, cupy.ndarray)
    numpy.testing.assert_array_equal(windows.get(), [[0.0, 1.0], [1.0, 2.0]])
    with pytest.raises(TypeError, match="needs a device array"):
        cupy.lib.stride_tricks.as_strided(numpy.zeros(3), shape=(2,), strides=(8,))
