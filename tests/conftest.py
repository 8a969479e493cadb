"""Suite-wide backend choice: ``MINIGRAD_BACKEND=cupy-standin`` runs the CuPy path on the CPU.

With that setting the strict CuPy stand-in in ``tests/cupy_standin`` is put first
on ``sys.path`` (and on ``PYTHONPATH`` for subprocesses) and minigrad is loaded
with ``MINIGRAD_BACKEND=cupy``, so ``import cupy`` finds the stand-in and every
test runs on its device arrays. Nothing outside the test suite can find it.
"""
import os
import sys

import pytest

STANDIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cupy_standin")

if os.environ.get("MINIGRAD_BACKEND") == "cupy-standin":
    if "minigrad" in sys.modules or "cupy" in sys.modules:
        raise RuntimeError("MINIGRAD_BACKEND=cupy-standin must be chosen before minigrad "
                           "or cupy is imported")
    sys.path.insert(0, STANDIN)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [STANDIN] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
    os.environ["MINIGRAD_BACKEND"] = "cupy"


HOST_ONLY_REASON = ("host-only test: its reference or test double computes with NumPy on the "
                    "parameters' arrays, which a device backend refuses, as it should")

# Tests that hand NumPy arrays to the library or compute references with NumPy on device
# arrays (the NumPy test doubles of tests/optim/curvature_doubles.py). On a device backend
# they skip; the device path of the same optimizers is covered by tests/test_backend_parity.py.
HOST_ONLY = {
    "tests/demos/test_demos.py": {"test_rayleigh_quotient_is_that_of_the_operator"},
    "tests/optim/test_class_subspace_rayleigh.py": {
        "test_rayleigh_curvature_is_the_hessian_along_each_class_direction"},
    "tests/optim/test_kronecker_schedule.py": {
        "test_decay_warmup_averages_equally_then_decays",
        "test_without_decay_warmup_the_first_factors_keep_weight_decay_to_the_t",
        "test_inverses_are_recomputed_during_the_warmup_then_every_period"},
    "tests/minigrad/data/test_dataset.py": {
        "test_tensor_dataset_indexes_every_array_and_checks_lengths",
        "test_loader_over_a_dataset_as_in_pytorch_keeps_the_dtypes"},
    "tests/minigrad/ops/test_conv.py": {
        "test_rows_and_columns_layouts_are_the_per_sample_layout_rearranged"},
    "tests/minigrad/test_tensor.py": {
        "test_comparisons_are_elementwise_boolean_tensors",
        "test_to_parses_devices_dtypes_and_tensors"},
    "tests/optim/test_class_subspace.py": {
        "test_absent_class_is_left_out_of_the_subspace", "test_first_step_is_equation_6",
        "test_newton_in_the_subspace_sgd_in_the_complement",
        "test_second_step_uses_moving_averages_of_v_and_lambda", "test_state_dict_round_trip"},
    "tests/optim/test_cubic.py": {
        "test_arc_decreases_nonconvex_rosenbrock",
        "test_non_finite_trial_loss_raises_after_max_failures",
        "test_sigma_update_and_exact_step_on_one_dimensional_quartic",
        "test_state_dict_round_trip"},
    "tests/optim/test_kronecker_optim.py": {
        "test_damped_step_matches_dense_kronecker_solve", "test_each_class_asks_for_its_factor_kind",
        "test_kflr_step_on_linear_mse_is_the_exact_gauss_newton_step",
        "test_momentum_is_heavy_ball_on_the_preconditioned_direction",
        "test_parameters_outside_kronecker_layers_take_sgd_steps",
        "test_running_averages_and_inverse_period", "test_state_dict_round_trip"},
    "tests/optim/test_newton_cg.py": {
        "test_damping_shrinks_when_model_is_exact_and_an_uphill_step_is_undone",
        "test_decreases_rosenbrock", "test_gauss_newton_curvature_uses_ggnvp",
        "test_negative_curvature_at_first_iteration_gives_gradient_step",
        "test_non_finite_loss_at_current_point_raises",
        "test_non_finite_trial_loss_is_undone_and_raises_after_max_failures",
        "test_one_step_solves_convex_quadratic", "test_state_dict_round_trip"},
    "tests/optim/test_parameter_vectors.py": {
        "test_add_snapshot_restore", "test_gradient_vector_names_parameters_without_grad"},
    "tests/optim/test_state_dict.py": {"test_state_dict_arrays_are_copies"},
    "tests/optim/test_trust_region.py": {
        "test_decreases_rosenbrock", "test_ellipsoidal_steps_stay_in_the_ellipsoid",
        "test_indefinite_quadratic_step_lands_on_boundary",
        "test_interior_step_matches_exact_subproblem_solution",
        "test_non_finite_trial_loss_is_rejected_and_raises_after_max_failures",
        "test_one_step_solves_convex_quadratic_with_large_radius",
        "test_rejected_step_keeps_parameters_and_shrinks_radius", "test_state_dict_round_trip",
        "test_sub_sampled_curvature_closure_supplies_products"},
}


@pytest.fixture(autouse=True)
def backend_left_as_found():
    """Fail a test that leaves another backend or default dtype active: every test after
    it would run there instead of on the backend the suite was started with."""
    import minigrad
    before = minigrad.backend_name(), minigrad.get_default_dtype()
    yield
    after = minigrad.backend_name(), minigrad.get_default_dtype()
    assert after == before, f"the test left (backend, default dtype) {after}, found {before}"


def pytest_collection_modifyitems(config, items):
    """On a device backend, skip the tests listed in ``HOST_ONLY`` with the reason."""
    import minigrad
    if minigrad.backend_name() == "numpy":
        return
    skip = pytest.mark.skip(reason=HOST_ONLY_REASON)
    for item in items:
        path = item.nodeid.split("::")[0]
        if item.originalname in HOST_ONLY.get(path, ()):
            item.add_marker(skip)
