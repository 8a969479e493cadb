"""SWA averages and learning rate, batch-norm refresh, SWAG moments and samples vs NumPy."""
import numpy
import pytest

import minigrad
import optim
from minigrad import nn
from tests.optim.closures import diagonal_quadratic, host

CURVATURES = [numpy.array([1.0, 2.0]), numpy.array([[0.5, 3.0]])]
CENTRES = [numpy.array([1.0, -1.0]), numpy.array([[2.0, 0.0]])]
STARTS = [numpy.array([0.0, 0.0]), numpy.array([[0.0, 1.0]])]


def test_swa_average_is_the_mean_of_the_snapshots_and_lr_switches():
    params, closure = diagonal_quadratic(CURVATURES, CENTRES, STARTS)
    swa = optim.SWA(optim.SGD(params, lr=0.1, momentum=0.5), swa_start=4, swa_freq=3, swa_lr=0.05)
    snapshots, lrs = [], []
    for step in range(1, 20):
        swa.step(closure)
        lrs.append(swa.param_groups[0]["lr"])
        if step > 4 and step % 3 == 0:
            snapshots.append([host(p.data).copy() for p in params])
    assert lrs == [0.1] * 4 + [0.05] * 15
    assert swa.n_averaged == len(snapshots) == 5
    current = [host(p.data).copy() for p in params]
    swa.swap_swa_sgd()
    for i, p in enumerate(params):
        numpy.testing.assert_allclose(host(p.data), numpy.mean([s[i] for s in snapshots], axis=0),
                                      rtol=1e-13)
    swa.swap_swa_sgd()
    for p, c in zip(params, current):
        numpy.testing.assert_array_equal(host(p.data), c)


def test_swa_manual_mode_and_errors():
    params, closure = diagonal_quadratic(CURVATURES, CENTRES, STARTS)
    swa = optim.SWA(optim.Adam(params, lr=0.1))
    with pytest.raises(RuntimeError, match="no average yet"):
        swa.swap_swa_sgd()
    swa.step(closure)
    swa.update_swa()
    assert swa.n_averaged == 1
    with pytest.raises(ValueError, match="swa_start/swa_freq"):
        optim.SWA(optim.SGD(params, lr=0.1), swa_start=3)


def test_update_bn_recomputes_cumulative_batch_statistics():
    nn.manual_seed(0)
    previous = minigrad.get_default_dtype()
    minigrad.set_default_dtype(numpy.float64)
    try:
        model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    finally:
        minigrad.set_default_dtype(previous)
    rng = numpy.random.default_rng(1)
    batches = [rng.standard_normal((5, 3)) * 2 + 1 for _ in range(4)]
    model.eval()
    nn.update_bn([(minigrad.tensor(b), None) for b in batches], model)
    weight, bias = host(model[0].weight.data), host(model[0].bias.data)
    features = [b @ weight.T + bias for b in batches]
    bn = model[1]
    numpy.testing.assert_allclose(host(bn.running_mean), numpy.concatenate(features).mean(axis=0),
                                  rtol=1e-10)
    numpy.testing.assert_allclose(host(bn.running_var),
                                  numpy.mean([f.var(axis=0, ddof=1) for f in features], axis=0),
                                  rtol=1e-10)
    assert bn.momentum == 0.1 and not model.training


def collect_snapshots(swag, count, seed=0):
    rng = numpy.random.default_rng(seed)
    snapshots = []
    for _ in range(count):
        values = rng.standard_normal(3)
        swag.params[0].data = minigrad.tensor(values[:2].copy()).data
        swag.params[1].data = minigrad.tensor(values[2:].copy().reshape(1, 1)).data
        swag.collect()
        snapshots.append(values)
    return numpy.array(snapshots)


def swag_model():
    from tests.optim.closures import parameter
    return [parameter([0.0, 0.0]), parameter([[0.0]])]


def test_swag_moments_and_deviations_match_numpy():
    swag = optim.SWAG(swag_model(), max_num_models=4)
    snapshots = collect_snapshots(swag, 7)
    numpy.testing.assert_allclose(swag.mean, snapshots.mean(axis=0), rtol=1e-12)
    numpy.testing.assert_allclose(swag.sq_mean, (snapshots ** 2).mean(axis=0), rtol=1e-12)
    numpy.testing.assert_allclose(swag.variance(), snapshots.var(axis=0), rtol=1e-10)
    running_means = numpy.cumsum(snapshots, axis=0) / numpy.arange(1, 8)[:, None]
    deviations = (snapshots - running_means)[-4:].T
    numpy.testing.assert_allclose(swag.deviation_matrix(), deviations, rtol=1e-12)


def test_swag_sample_covariance_is_scaled_diagonal_plus_low_rank():
    swag = optim.SWAG(swag_model(), max_num_models=3, seed=5)
    collect_snapshots(swag, 5, seed=2)
    deviations = swag.deviation_matrix()
    draws = numpy.array([swag.sample(scale=0.5) for _ in range(20000)])
    expected = 0.5 * (numpy.diag(swag.variance()) + deviations @ deviations.T / 2)
    numpy.testing.assert_allclose(numpy.cov(draws.T), expected, atol=0.03 * numpy.abs(expected).max())
    numpy.testing.assert_allclose(draws.mean(axis=0), swag.mean, atol=0.02)
    diagonal = numpy.array([swag.sample(scale=1.0, cov=False) for _ in range(20000)])
    numpy.testing.assert_allclose(numpy.cov(diagonal.T), numpy.diag(swag.variance()),
                                  atol=0.03 * swag.variance().max())
    last = draws[-1]
    numpy.testing.assert_allclose(host(swag.params[0].data), diagonal[-1][:2])
    assert not numpy.allclose(last, diagonal[-1])


def test_swag_sampling_is_seeded_and_needs_two_models():
    swag = optim.SWAG(swag_model(), max_num_models=3)
    collect_snapshots(swag, 1)
    with pytest.raises(ValueError, match="at least 2 collected models"):
        swag.sample()
    collect_snapshots(swag, 2, seed=4)
    numpy.testing.assert_array_equal(swag.sample(seed=11), swag.sample(seed=11))
    numpy.testing.assert_allclose(swag.sample(scale=0.0), swag.mean)
