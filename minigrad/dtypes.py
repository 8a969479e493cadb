"""PyTorch's dtype names (``minigrad.float32``, ``minigrad.long``, …) as the NumPy dtypes they are.

Tensors hold NumPy (or CuPy) arrays, so a dtype is a NumPy dtype:
``x.dtype == minigrad.float32`` and ``x.to(minigrad.int64)`` work as in PyTorch.
"""
import numpy

float16 = half = numpy.dtype(numpy.float16)
float32 = float = numpy.dtype(numpy.float32)
float64 = double = numpy.dtype(numpy.float64)
int8 = numpy.dtype(numpy.int8)
uint8 = numpy.dtype(numpy.uint8)
int16 = short = numpy.dtype(numpy.int16)
int32 = int = numpy.dtype(numpy.int32)
int64 = long = numpy.dtype(numpy.int64)
bool = numpy.dtype(numpy.bool_)
