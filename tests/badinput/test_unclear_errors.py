"""Bad inputs that gave a raw traceback (AttributeError, KeyError, ZeroDivisionError, a
NumPy message) now give an error naming the optimizer, layer, argument or file."""
import numpy
import pytest

import optim
from minigrad import Tensor, nn
from minigrad.curvature import Closure


def _parameters():
    return [nn.Parameter(numpy.ones(3))]


def _loss():
    return Tensor(numpy.array(1.0))


CASES = {
    "AdaHessian.step(lambda)": (lambda: optim.AdaHessian(_parameters()).step(_loss), TypeError,
                                r"AdaHessian\.step needs a curvature closure with "
                                r"hessian_product\(\).*got a function"),
    "KFAC.step(lambda)": (lambda: optim.KFAC(nn.Linear(2, 2).parameters()).step(_loss),
                          TypeError, r"KFAC\.step needs a curvature closure with "
                                     r"kronecker_factors\(\)"),
    "NewtonCG.step(lambda)": (lambda: optim.create("newton-cg", _parameters()).step(_loss),
                              TypeError, r"\.step needs a curvature closure with "
                                         r"(hessian|gauss_newton)_product\(\)"),
    "ClassSubspace.step(lambda)": (
        lambda: optim.create("class-subspace", _parameters()).step(_loss), TypeError,
        r"needs a curvature closure with class_gradients\(\)"),
    "SGD(lr='0.1')": (lambda: optim.SGD(_parameters(), lr="0.1"), TypeError,
                      r"SGD: lr must be a number, got '0\.1' \(str\)"),
    "Adam(betas=0.9)": (lambda: optim.Adam(_parameters(), betas=0.9), ValueError,
                        r"Adam: invalid betas=0\.9 \(must be a pair"),
    "Adam(eps=None)": (lambda: optim.Adam(_parameters(), eps=None), TypeError,
                       r"Adam: eps must be a number, got None"),
    "SGD([{'lr': 0.1}])": (lambda: optim.SGD([{"lr": 0.1}], lr=0.1), ValueError,
                           r"a parameter group dict needs a 'params' entry, got the keys "
                           r"\['lr'\]"),
    "LBFGS closure returning None": (lambda: optim.LBFGS(_parameters()).step(lambda: None),
                                     TypeError, r"the closure returned None"),
    "AdaHessian.load_state_dict without generator": (
        lambda: optim.AdaHessian(_parameters()).load_state_dict(
            {"state": {}, "param_groups": [{"params": [0]}]}),
        ValueError, r"AdaHessian\.load_state_dict: the state has no 'generator' entry"),
    "SGD.load_state_dict(None)": (lambda: optim.SGD(_parameters(), lr=0.1).load_state_dict(None),
                                  ValueError, r"expected a dict with 'state' and 'param_groups'.*"
                                              r"got NoneType"),
    "Linear(-1, 2)": (lambda: nn.Linear(-1, 2), ValueError,
                      r"Linear: in_features must be an integer ≥ 1, got -1"),
    "Linear(2.5, 2)": (lambda: nn.Linear(2.5, 2), TypeError,
                       r"Linear: in_features must be an integer ≥ 1, got 2\.5 \(float\)"),
    "Conv2d(1, 2, 0)": (lambda: nn.Conv2d(1, 2, 0), ValueError,
                        r"Conv2d: kernel_size must be an integer ≥ 1, got \(0, 0\)"),
    "Linear.load_state_dict([1, 2])": (lambda: nn.Linear(2, 2).load_state_dict([1, 2]),
                                       TypeError, r"Linear\.load_state_dict: expected a mapping "
                                                  r"of names to arrays.*got list"),
    "Closure(5, …)": (lambda: Closure(5, nn.MSELoss(), numpy.ones((2, 2)), numpy.ones((2, 2))),
                      TypeError, r"model must be a minigrad\.nn\.Module.*got int"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_input_gets_a_clear_error(case):
    call, error, message = CASES[case]
    with pytest.raises(error, match=message):
        call()
