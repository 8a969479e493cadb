"""Smoke test of ``demos/kfac_transformer.py`` in its ``--quick`` configuration: the table has one
row per method (AdamW, KFAC-expand, KFAC-reduce, EKFAC-expand) with finite numbers, the figure is
a PNG and ``results.json`` holds the curves and each method's optimizer settings."""
import json
import math

from demos import kfac_transformer
from tests.demos.test_demos import PNG_SIGNATURE, numbers, table_rows


def test_quick_run_writes_table_figure_and_results(tmp_path):
    results = kfac_transformer.main(["--quick", "--out", str(tmp_path)])
    rows = table_rows(results["table"])
    assert [row[0] for row in rows] == ["AdamW", "KFAC-expand", "KFAC-reduce", "EKFAC-expand"]
    assert all(math.isfinite(v) for row in rows for v in numbers(row[1:]))
    with open(results["figures"][0], "rb") as png:
        assert png.read(8) == PNG_SIGNATURE
    stored = json.loads((tmp_path / "results.json").read_text())
    assert set(stored["curves"]) == {"AdamW", "KFAC-expand", "KFAC-reduce", "EKFAC-expand"}
    assert stored["curves"]["KFAC-reduce"][0][-1]["step"] == 2
    assert stored["curves"]["EKFAC-expand"][0][-1]["step"] == 2
    assert stored["methods"]["EKFAC-expand"] == ["ekfac", {"lr": 0.05, "damping": 0.1,
                                                           "basis_period": 10}]


def test_data_root_and_download_reach_the_loader(tmp_path, monkeypatch):
    seen, subsets = {}, kfac_transformer.common.subsets

    def recording(*args, **kwargs):
        seen.update(kwargs)
        return subsets(*args, **kwargs)

    monkeypatch.setattr(kfac_transformer.common, "subsets", recording)
    (tmp_path / "data").mkdir()
    kfac_transformer.main(["--quick", "--out", str(tmp_path / "out"), "--methods", "AdamW",
                           "--data-root", str(tmp_path / "data")])
    assert seen["root"] == str(tmp_path / "data") and seen["download"] is False
