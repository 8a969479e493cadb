"""``optim.KFLR/KFAC(chunk_size=)`` and ``factor_period``: chunked factors give the same steps;
fresh factors only every ``factor_period`` steps, reused in between."""
import numpy
import pytest

import minigrad
import optim
from minigrad import curvature, nn
from tests.helpers import float64_parameters  # noqa: F401  (float64 defaults)


def problem(seed=0):
    rng = numpy.random.default_rng(seed)
    x = minigrad.tensor(rng.standard_normal((12, 4)))
    y = minigrad.tensor(rng.integers(0, 3, size=12))
    nn.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3))
    return model, x, y


class CountingClosure(curvature.Closure):
    """A ``Closure`` recording the keyword arguments of every ``kronecker_factors`` call."""

    def __init__(self, *args, calls):
        super().__init__(*args)
        self.calls = calls

    def kronecker_factors(self, kind, **options):
        self.calls.append(options)
        return super().kronecker_factors(kind, **options)


def train(kind, steps=5, **options):
    model, x, y = problem()
    optimizer = getattr(optim, kind)(model.parameters(), lr=0.3, damping=0.05, **options)
    calls = []
    for _ in range(steps):
        optimizer.step(CountingClosure(model, nn.CrossEntropyLoss(), x, y, calls=calls))
    return [p.numpy().copy() for p in model.parameters()], calls


@pytest.mark.parametrize("kind,extra", [("KFLR", {}), ("KFAC", {"seed": 3})])
def test_chunked_factors_give_the_same_steps(kind, extra):
    whole, calls = train(kind, **extra)
    chunked, chunked_calls = train(kind, chunk_size=5, **extra)
    for a, b in zip(whole, chunked):
        numpy.testing.assert_allclose(b, a, rtol=1e-11, atol=1e-13)
    assert all("chunk_size" not in c for c in calls)
    assert all(c["chunk_size"] == 5 for c in chunked_calls) and len(chunked_calls) == 5


def test_fresh_factors_only_every_factor_period_steps():
    _, calls = train("KFLR", steps=7, factor_period=3)
    assert len(calls) == 3                                   # steps 0, 3, 6
    every, _ = train("KFLR", steps=4, factor_period=1)
    default, _ = train("KFLR", steps=4)
    for a, b in zip(every, default):
        numpy.testing.assert_array_equal(a, b)


def test_reused_factors_are_those_of_the_last_fresh_step():
    """With factor_period=2 and fresh inverses every step, step 1 preconditions its own
    gradient with step 0's factors: the same as an optimizer fed step 0's factors twice."""
    model, x, y = problem()
    reused = optim.KFLR(model.parameters(), lr=0.3, damping=0.05, factor_period=2)
    for _ in range(2):
        reused.step(curvature.Closure(model, nn.CrossEntropyLoss(), x, y))
    reference_model, _, _ = problem()
    first = curvature.Closure(reference_model, nn.CrossEntropyLoss(), x, y).kronecker_factors(
        "kflr")

    class Frozen(curvature.Closure):
        def kronecker_factors(self, kind, **options):
            return first

    reference = optim.KFLR(reference_model.parameters(), lr=0.3, damping=0.05, decay=0.0)
    for _ in range(2):
        reference.step(Frozen(reference_model, nn.CrossEntropyLoss(), x, y))
    for a, b in zip(model.parameters(), reference_model.parameters()):
        numpy.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-14)


def test_bad_chunk_size_and_factor_period_are_refused():
    model, x, y = problem()
    with pytest.raises(ValueError, match="KFRA: invalid chunk_size=4"):
        optim.KFRA(model.parameters(), chunk_size=4)
    with pytest.raises(ValueError, match="KFLR: invalid chunk_size=0"):
        optim.KFLR(model.parameters(), chunk_size=0)
    with pytest.raises(ValueError, match="KFAC: invalid factor_period=0"):
        optim.KFAC(model.parameters(), factor_period=0)
    with pytest.raises(ValueError, match="chunk_size applies to 'kfac' and 'kflr'"):
        curvature.Closure(model, nn.CrossEntropyLoss(), x, y).kronecker_factors(
            "kfra", chunk_size=4)
