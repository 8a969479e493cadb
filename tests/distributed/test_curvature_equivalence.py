"""Curvature on 2 ranks equals the single-process curvature of the global batch.

``mpirun -n 2``: for an MLP and a CNN with cross-entropy, an MLP with mean-squared error
and an MLP with ``SyncBatchNorm``, every quantity of ``DistributedClosure`` (loss, gradient,
loss-only evaluation, Hessian and Gauss-Newton products (one-off and as operators with
their loss and gradient), Hutchinson diagonal and trace,
KFLR/KFRA/seeded-KFAC factors, exact and sampled diagonals, class gradients, running
statistics) agrees with one process on the global batch to 1e-12 relative to its largest
entry, on every rank.
"""
import pytest

from .launcher import requires_mpi, worker_report

COMMON = ("loss", "gradient", "loss_value", "hvp", "ggnvp", "hutchinson_diag",
          "hutchinson_trace", "hessian_product", "hessian_product_backward",
          "gauss_newton_product", "gauss_newton_product_backward")
LAYERWISE = ("kflr", "kfra", "kfac_seeded", "diag_hessian", "diag_ggn", "diag_ggn_sampled")
EXPECTED = {
    "mlp_cross_entropy": COMMON + LAYERWISE + ("class_gradients",),
    "cnn_cross_entropy": COMMON + LAYERWISE + ("class_gradients",),
    "mlp_mse": COMMON + LAYERWISE,
    "sync_batch_norm": COMMON + ("class_gradients", "running_statistics"),
}
CASES = [(net, quantity) for net, quantities in EXPECTED.items() for quantity in quantities]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return worker_report(tmp_path_factory, "curvature_equivalence")


@requires_mpi
def test_every_quantity_is_compared(report):
    assert {net: sorted(values) for net, values in report.items()} == {
        net: sorted(quantities) for net, quantities in EXPECTED.items()}


@requires_mpi
@pytest.mark.parametrize("net,quantity", CASES)
def test_two_ranks_match_the_global_batch(report, net, quantity):
    assert report[net][quantity] < 1e-12
