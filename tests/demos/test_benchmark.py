"""``demos/benchmark.py`` runs without PyTorch: minigrad's own steps, the GEMM rate, the JSON."""
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
