"""``demos/tables.py``: README result blocks rebuilt from results.json; the README is current;
every registered rebuilder renders its committed table again."""
import importlib
import json

import pytest

from demos import records, tables

STORED = {"table": "| a | b |\n|---|---|\n| 1 | 2 |", "command": "python demos/x.py --seeds 2",
          "seconds": 12.3, "threads": 1, "minigrad_version": "0.1.0",
          "machine": {"cpus": 2, "processor": "x86_64"}}


def test_blocks_are_replaced_by_the_stored_table_and_its_provenance(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "results.json").write_text(json.dumps(STORED))
    text = "intro\n<!-- results: x -->\nold numbers\n<!-- /results -->\noutro\n"
    updated = tables.regenerate(text, tmp_path)
    assert "old numbers" not in updated
    assert updated.startswith("intro\n<!-- results: x -->\n| a | b |")
    assert "`python demos/x.py --seeds 2` — 12 s of wall time" in updated
    assert updated.endswith("<!-- /results -->\noutro\n")
    assert tables.regenerate(updated, tmp_path) == updated


def test_a_block_without_results_names_the_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="names results 'y' but .*y/results.json"):
        tables.regenerate("<!-- results: y -->\n<!-- /results -->", tmp_path)


def test_the_committed_readme_matches_the_committed_results():
    assert tables.main(["--check"]) == 0


@pytest.mark.parametrize("name", sorted(tables.REBUILDERS))
def test_every_registered_rebuilder_renders_its_committed_table(name):
    module, function = tables.REBUILDERS[name]
    render = getattr(importlib.import_module(f"demos.{module}"), function)
    stored = records.load(tables.DEMOS / "results" / name)
    assert render(stored) == stored["table"]
