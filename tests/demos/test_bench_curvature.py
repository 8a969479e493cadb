"""``demos/bench_curvature.py`` runs: one repeat of the MLP table, which prints every quantity."""
from demos import bench_curvature


def test_mlp_table_runs_and_names_every_quantity(capsys):
    bench_curvature.main(["--repeats", "1", "--skip-autoencoder", "--cold-allocator"])
    printed = capsys.readouterr().out
    for quantity in ("KFAC", "KFRA", "KFLR", "diag"):
        assert quantity in printed
