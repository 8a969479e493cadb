"""Where ``checkpoint.load`` puts arrays: host arrays come back on the host, device arrays
and Tensors on the active backend (``minigrad/checkpoint.py``).

A model's ``state_dict`` is host NumPy arrays even for a model on a device, so a checkpoint
of a device run loads as host arrays; an optimizer's buffers stay device arrays. Run the suite
with ``MINIGRAD_BACKEND=cupy-standin`` to check this on the CuPy stand-in's device arrays
(on NumPy, host and device are the same and only the values are checked).
"""
import numpy

import minigrad
import optim
from minigrad import backend, checkpoint, nn


def _device_run_state():
    nn.manual_seed(0)
    model = nn.Linear(3, 2)
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = minigrad.tensor(numpy.arange(12.0).reshape(4, 3), dtype=backend.get_default_dtype())
    model(x).sum().backward()
    optimizer.step()
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
             "host": numpy.arange(3.0), "device": backend.to_device(numpy.arange(4.0)),
             "tensor": minigrad.tensor(numpy.ones(2))}
    return model, state


def _on_active_backend(array):
    return backend.get_array_module(array) is backend.array_module()


def test_host_arrays_load_on_the_host_and_device_arrays_on_the_active_backend(tmp_path):
    model, state = _device_run_state()
    checkpoint.save(state, tmp_path / "run.npz")
    loaded = checkpoint.load(tmp_path / "run.npz")
    for name, value in loaded["model"].items():
        assert type(value) is numpy.ndarray, name
        numpy.testing.assert_array_equal(value, backend.to_host(model.state_dict()[name]))
    assert type(loaded["host"]) is numpy.ndarray
    numpy.testing.assert_array_equal(loaded["host"], numpy.arange(3.0))
    assert _on_active_backend(loaded["device"]) and _on_active_backend(loaded["tensor"].data)
    numpy.testing.assert_array_equal(backend.to_host(loaded["device"]), numpy.arange(4.0))
    buffers = [s["momentum_buffer"] for s in loaded["optimizer"]["state"].values()]
    assert buffers and all(_on_active_backend(b) for b in buffers)


def test_a_device_checkpoint_loads_as_host_arrays_on_numpy(tmp_path):
    _, state = _device_run_state()
    checkpoint.save(state, tmp_path / "run.npz")
    with backend.using("numpy"):
        loaded = checkpoint.load(tmp_path / "run.npz")
    arrays = [loaded["host"], loaded["device"], loaded["tensor"].data,
              *loaded["model"].values(),
              *(s["momentum_buffer"] for s in loaded["optimizer"]["state"].values())]
    assert all(type(a) is numpy.ndarray for a in arrays)
