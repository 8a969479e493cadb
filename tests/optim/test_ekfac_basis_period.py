"""``optim.EKFAC(basis_period=k)``: fresh factors and eigenbasis at the steps ``step % k == 0``,
the current batch's corrected eigenvalues in the kept basis between them (George et al. 2018);
checked against a hand loop of ``curvature.ekfac`` and by counting eigendecompositions."""
import numpy
import pytest

import minigrad
import optim
from minigrad import curvature, nn
from tests.helpers import float64_parameters  # noqa: F401  (float64 defaults)

LR, DAMPING, SEED = 0.3, 0.05, 3


def problem(seed=0):
    rng = numpy.random.default_rng(seed)
    nn.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3))
    batches = [(minigrad.tensor(rng.standard_normal((12, 4))),
                minigrad.tensor(rng.integers(0, 3, size=12))) for _ in range(3)]
    return model, nn.CrossEntropyLoss(), batches


class CountingClosure(curvature.Closure):
    """A ``Closure`` recording, per ``ekfac_factors`` call, whether a basis was passed."""

    def __init__(self, *args, calls):
        super().__init__(*args)
        self.calls = calls

    def ekfac_factors(self, fisher_type="mc", mc_samples=1, seed=None, **options):
        self.calls.append("basis" in options)
        return super().ekfac_factors(fisher_type, mc_samples, seed, **options)


def train(steps, optimizer=None, model=None, calls=None, **options):
    """``steps`` EKFAC steps cycling through the batches; the parameters after each step."""
    fresh_model, loss, batches = problem()
    model = model or fresh_model
    optimizer = optimizer or optim.EKFAC(model.parameters(), lr=LR, damping=DAMPING, seed=SEED,
                                         **options)
    calls = [] if calls is None else calls
    trajectory = []
    for t in range(steps):
        optimizer.step(CountingClosure(model, loss, *batches[t % 3], calls=calls))
        trajectory.append([p.numpy().copy() for p in model.parameters()])
    return trajectory, calls, optimizer, model


def hand_loop(steps, period):
    """The EKFAC update written out: blocks from ``curvature.ekfac``, fresh every ``period``."""
    model, loss, batches = problem()
    trajectory, blocks = [], None
    for t in range(steps):
        x, y = batches[t % 3]
        params = list(model.parameters())
        gradients = {id(p): g.data for p, g in zip(params, minigrad.grad(loss(model(x), y),
                                                                       params))}
        blocks = curvature.ekfac(model, loss, x, y, seed=SEED + t,
                                 basis=None if t % period == 0 else blocks)
        for block in blocks:
            layout = block.kronecker
            gradient = layout.to_matrix([gradients[id(p)] for p in block.params])
            update = block.solve(layout.matrix_to_vector(gradient), DAMPING)
            for p, direction in zip(block.params,
                                    layout.from_matrix(layout.vector_to_matrix(update))):
                p.data -= LR * direction
        trajectory.append([p.numpy().copy() for p in model.parameters()])
    return trajectory


def assert_same(trajectory, expected):
    for mine, theirs in zip(trajectory, expected, strict=True):
        for a, b in zip(mine, theirs, strict=True):
            numpy.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("period", [1, 2, 3])
def test_steps_are_the_hand_loop_with_a_basis_kept_for_period_steps(period):
    trajectory, calls, _, _ = train(6, basis_period=period)
    assert calls == [t % period != 0 for t in range(6)]
    assert_same(trajectory, hand_loop(6, period))


def test_basis_period_1_is_the_default():
    default, _, _, _ = train(4)
    every, calls, _, _ = train(4, basis_period=1)
    assert calls == [False] * 4
    for mine, theirs in zip(every, default, strict=True):
        for a, b in zip(mine, theirs, strict=True):
            numpy.testing.assert_array_equal(a, b)


def test_eigendecompositions_only_at_the_due_steps(monkeypatch):
    linalg = minigrad.backend.array_module().linalg      # numpy.linalg, or CuPy's on a device
    eigh, count = linalg.eigh, []

    def counting_eigh(matrix, *args, **kwargs):
        count.append(matrix.shape)
        return eigh(matrix, *args, **kwargs)

    monkeypatch.setattr(linalg, "eigh", counting_eigh)
    train(7, basis_period=3)
    assert len(count) == 3 * 4                 # steps 0, 3, 6; G and A of two layers each


def test_a_kept_basis_still_decreases_the_loss():
    model, loss, batches = problem()
    x, y = batches[0]
    optimizer = optim.EKFAC(model.parameters(), lr=LR, damping=DAMPING, seed=SEED,
                            basis_period=5)
    losses = [float(optimizer.step(curvature.Closure(model, loss, x, y)).item())
              for _ in range(10)]
    assert losses[-1] < 0.8 * losses[0]


def test_a_resumed_optimizer_computes_a_fresh_basis_at_its_first_step():
    _, _, optimizer, model = train(4, basis_period=3)
    saved = optimizer.state_dict()
    calls = []
    optimizer.load_state_dict(saved)
    train(2, optimizer=optimizer, model=model, calls=calls)
    assert calls == [False, True]              # step 4 fresh after loading, step 5 kept
    fresh = optim.EKFAC(model.parameters(), lr=LR, damping=DAMPING, seed=SEED, basis_period=3)
    fresh.load_state_dict(saved)
    calls = []
    train(1, optimizer=fresh, model=model, calls=calls)
    assert calls == [False]


@pytest.mark.parametrize("bad", [0, -2, 1.5, True])
def test_bad_basis_period_is_refused(bad):
    model, _, _ = problem()
    with pytest.raises(ValueError, match=f"EKFAC: invalid basis_period={bad!r}"):
        optim.EKFAC(model.parameters(), basis_period=bad)
