"""minigrad: a small autodiff framework on NumPy/CuPy that makes curvature transparent."""
from . import backend, cuda, viz
from .autograd.engine import grad
from .autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .device import device
from .dtypes import (bool, double, float, float16, float32, float64, half, int, int8, int16,
                     int32, int64, long, short, uint8)
from .ops import (abs, cat, clamp, exp, flatten, gather, log, relu, sigmoid, sort, sqrt, stack,
                  tanh, topk, where)
from .backend import (array_module, backend_name, get_array_module, get_default_dtype,
                      set_default_dtype, to_device, to_host, use)
from .factories import (arange, empty, empty_like, full, full_like, ones, ones_like, rand,
                        rand_like, randint, randn, randn_like, zeros, zeros_like)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .random import manual_seed
from .serialization import load, save
from .tensor import Tensor, tensor
from .threads import get_num_threads, set_num_threads

__version__ = "0.1.0"
