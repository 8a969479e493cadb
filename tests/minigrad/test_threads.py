"""set_num_threads / get_num_threads through threadpoolctl."""
import pytest

import minigrad

threadpoolctl = pytest.importorskip("threadpoolctl")


def test_set_num_threads_limits_the_blas_pool():
    before = minigrad.get_num_threads()
    try:
        minigrad.set_num_threads(1)
        assert minigrad.get_num_threads() == 1
    finally:
        minigrad.set_num_threads(before or 1)


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "2"])
def test_set_num_threads_rejects_non_positive_integers(bad):
    with pytest.raises(ValueError, match="positive integer"):
        minigrad.set_num_threads(bad)
