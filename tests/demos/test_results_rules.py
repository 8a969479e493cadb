"""The two rules of the demo results files: ``± std`` only over n ≥ 3 complete runs, and the
commit and command of every merged run recorded; checked on every committed results file."""
import json
import re
import subprocess

import pytest

from demos import records, tables

GOOD = {"table": "t\n\n| method | n | acc |\n|---|---|---|\n| A | 3 | 1.00 ± 0.10 |",
        "command": ["python demos/x.py --seeds 1", "python demos/x.py --seeds-from 1"],
        "provenance": [{"command": "python demos/x.py --seeds 1", "commit": "a" * 40},
                       {"command": "python demos/x.py --seeds-from 1", "commit": "unknown"}]}


def test_every_committed_results_file_follows_both_rules():
    assert tables.problems(tables.DEMOS / "results") == {}


def test_spread_shows_a_std_only_for_three_or_more_runs():
    assert records.spread([1.0]) == "1.00 (1 run)"
    assert records.spread([1.0, 3.0]) == "n = 2, values 1.00 and 3.00"
    assert records.spread([1.0, 2.0, 3.0]) == "2.00 ± 1.00"
    assert records.spread([1, 2, 4], show=lambda v: f"{v:.0f}",
                          show_std=lambda v: f"{v:.1f}") == "2 ± 1.5"
    with pytest.raises(ValueError, match="no values"):
        records.spread([])


@pytest.mark.parametrize("row,count", [
    ("| A | 2 | 1.00 ± 0.10 |", "2"),
    ("| A | 3 | 677 ± 247 (2 of 3) |", "2"),
])
def test_a_std_over_fewer_than_three_runs_is_a_problem(row, count):
    table = f"| method | seeds | value |\n|---|---|---|\n{row}"
    listed = records.spread_problems(table)
    assert len(listed) == 1 and f"a ± over {count} run(s)" in listed[0]


def test_a_std_in_a_table_without_a_count_is_a_problem():
    listed = records.spread_problems("| method | value |\n|---|---|\n| A | 1 ± 2 |")
    assert listed and "unknown number" in listed[0]
    assert records.spread_problems(GOOD["table"]) == []
    assert records.spread_problems("| a | n |\n|---|---|\n| 502, 852 (2 of 3) | 3 |") == []


def test_provenance_must_list_a_commit_for_every_command():
    assert records.provenance_problems(GOOD) == []
    missing = {**GOOD, "provenance": GOOD["provenance"][:1]}
    assert "differ from" in records.provenance_problems(missing)[0]
    blank = {**GOOD, "provenance": [{**GOOD["provenance"][0], "commit": ""},
                                    GOOD["provenance"][1]]}
    assert "lacks a command or a commit" in records.provenance_problems(blank)[0]
    assert "no \"provenance\"" in records.provenance_problems({"command": "x"})[0]


def test_a_new_run_records_its_commit_and_merges_keep_every_run(tmp_path):
    first = {**records.header("python demos/x.py --seeds 1", {"s": 1}, 1), "seconds": 1.0,
             "runs": {"0/A": 1}}
    assert re.fullmatch(r"[0-9a-f]{40}(-dirty)?|unknown", first["provenance"][0]["commit"])
    second = {**records.header("python demos/x.py --seeds-from 1", {"s": 1}, 1),
              "seconds": 2.0, "runs": {"1/A": 2}}

    def complete(stored):
        stored["table"] = "| m | n |\n|---|---|\n| A | 2 |"
        (tmp_path / records.RESULTS).write_text(json.dumps(stored))
        return stored

    records.merge_methods(tmp_path, first, "runs", False, complete)
    merged = records.merge_methods(tmp_path, second, "runs", False, complete)
    assert [r["command"] for r in merged["provenance"]] == merged["command"]
    assert records.provenance_problems(merged) == []


def test_check_fails_on_a_results_file_that_breaks_a_rule(tmp_path):
    (tmp_path / "x").mkdir()
    bad = {**GOOD, "table": "| m | n | v |\n|---|---|---|\n| A | 2 | 1 ± 1 |"}
    (tmp_path / "x" / records.RESULTS).write_text(json.dumps(bad))
    (tmp_path / "y").mkdir()
    (tmp_path / "y" / records.RESULTS).write_text(json.dumps({"config": {}}))  # a benchmark file
    assert list(tables.problems(tmp_path)) == ["x"]


def test_a_runs_own_results_files_do_not_make_its_commit_dirty(tmp_path, monkeypatch):
    def git(*arguments):
        subprocess.run(["git", "-C", str(tmp_path), *arguments], check=True,
                       capture_output=True)

    (tmp_path / "demos" / "results").mkdir(parents=True)
    (tmp_path / "demos" / "results" / "table.md").write_text("before\n")
    (tmp_path / "code.py").write_text("x = 1\n")
    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "start")
    monkeypatch.setattr(records, "REPOSITORY", tmp_path)
    (tmp_path / "demos" / "results" / "table.md").write_text("after\n")
    assert not records.commit().endswith("-dirty")
    (tmp_path / "code.py").write_text("x = 2\n")
    assert records.commit().endswith("-dirty")
