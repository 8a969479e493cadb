"""``demos/bench_curvature.py`` runs: one repeat of the MLP table, which prints every quantity,
between a header that records the command, commit and threads and a closing load average."""
from demos import bench_curvature


def test_mlp_table_runs_and_names_every_quantity(capsys):
    bench_curvature.main(["--repeats", "1", "--skip-autoencoder", "--cold-allocator"])
    printed = capsys.readouterr().out
    for quantity in ("KFAC", "KFRA", "KFLR", "diag"):
        assert quantity in printed
    lines = printed.splitlines()
    assert lines[0] == ("# command: python demos/bench_curvature.py --repeats 1 "
                        "--skip-autoencoder --cold-allocator")
    assert lines[1].startswith("# commit ") and "BLAS thread(s)" in lines[1]
    assert lines[-1].startswith("# load average ") and lines[-1].endswith(" at the end")
