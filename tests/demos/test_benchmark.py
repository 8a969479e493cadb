"""``demos/benchmark.py`` runs without PyTorch: minigrad's own steps, the GEMM rate, the JSON,
and its profile."""
import io
import json

from demos import benchmark


def test_minigrad_only_run_writes_its_table_and_json(tmp_path):
    results = benchmark.main(["--no-torch", "--repeats", "1", "--cases", "autoencoder",
                              "--works", "sgd", "--threads", "1", "--out", str(tmp_path)])
    assert results["frameworks"] == ["minigrad"] and results["threads"] in (1, None)
    assert [(r["case"], r["work"]) for r in results["rows"]] == [("autoencoder", "sgd")]
    assert all(r["minigrad_ms"] > 0 and r["minigrad_peak_bytes"] > 0 for r in results["rows"])
    assert 0 < results["autoencoder_sgd_gemm_fraction"]
    saved = json.loads((tmp_path / "cpu-threads1.json").read_text())
    assert saved["table"] == results["table"] and "| autoencoder | sgd |" in saved["table"]


def test_autoencoder_gemm_flops_count_every_product_of_the_step():
    sizes = [784, 1000, 500, 250, 30, 250, 500, 1000, 784]
    pairs = list(zip(sizes[:-1], sizes[1:]))
    expected = sum(6 * 1000 * a * b for a, b in pairs) - 2 * 1000 * 784 * 1000
    assert benchmark.autoencoder_gemm_flops() == expected


def test_profile_lists_the_functions_with_the_most_own_time():
    args = benchmark.arguments(["--profile", "--repeats", "1", "--cases", "lenet5",
                                "--works", "sgd", "--threads", "1"])
    benchmark.configure(args, ["minigrad"])
    out = io.StringIO()
    benchmark.profile(args, top=5, out=out)
    lines = out.getvalue().strip().splitlines()
    assert lines[0].startswith("lenet5 sgd:") and len(lines) == 6
    shares = [float(line.split("%")[0]) for line in lines[1:]]
    assert shares == sorted(shares, reverse=True) and 0 < sum(shares) <= 100
