"""Regenerate the result tables of ``demos/README.md`` from the committed results files.

    python demos/tables.py                 # rewrite demos/README.md in place
    python demos/tables.py --check         # exit 1 if the README differs from the results,
                                           # or a results file breaks a rule below
    python demos/tables.py --rebuild NAME  # re-render NAME's stored tables from its numbers

In the README each table block is delimited by ``<!-- results: NAME -->`` and
``<!-- /results -->``; everything between is replaced by the ``"table"`` of
``demos/results/NAME/results.json``, followed by the command that produced it,
its wall time, BLAS thread count and machine. A marker naming a folder without
a ``results.json`` is an error naming the file.

Every demo results file (a ``demos/results/*/results.json`` holding a ``"table"``,
written by ``records.write``; the benchmark files beside them have their own
formats) must follow two rules (``problems``):
its tables show ``mean ± std`` only over n ≥ 3 complete runs
(``records.spread_problems``), and it records the commit and command of every
run it merges (``records.provenance_problems``). ``--rebuild NAME`` renders the
tables of a stored run again from its raw numbers with the demo's current table
code (for the demos in ``REBUILDERS``), writing ``results.json`` and
``table.md`` and recording the command and commit under ``"table_rebuilt"``.
"""
import argparse
import importlib
import pathlib
import re
import sys

if __package__ in (None, ""):
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from demos import common, records  # noqa: E402

DEMOS = pathlib.Path(__file__).resolve().parent
README = DEMOS / "README.md"
BLOCK = re.compile(r"(<!-- results: (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /results -->)",
                   re.DOTALL)


REBUILDERS = {"adahessian_hybrid_resnet18": ("adahessian_hybrid_resnet18", "tables"),
              "adahessian_hybrid_resnet18_torchvision": ("adahessian_hybrid_resnet18", "tables"),
              "adaptive_norms_trust_region": ("adaptive_norms_trust_region", "tables"),
              "adaptive_norms_trust_region_cifar": ("adaptive_norms_trust_region", "tables"),
              "hess_trucks": ("hess_trucks", "stored_tables"),
              "hess_trucks_traces": ("hess_trucks", "stored_tables")}


def problems(results_root):
    """``{folder name: [problem, ...]}`` of every demo results file under ``results_root`` that
    breaks the spread rule or lacks per-run provenance."""
    found = {}
    for path in sorted(results_root.glob(f"*/{records.RESULTS}")):
        stored = records.load(path.parent)
        if "table" not in stored:
            continue
        listed = records.spread_problems(stored.get("table", "")) + \
            records.provenance_problems(stored)
        if listed:
            found[path.parent.name] = listed
    return found


def rebuild(name, results_root, argv):
    """Render the tables of ``results_root/name`` again from its stored numbers."""
    if name not in REBUILDERS:
        raise ValueError(f"--rebuild: no table code registered for {name!r}; known: "
                         f"{sorted(REBUILDERS)}")
    module, function = REBUILDERS[name]
    make_table = getattr(importlib.import_module(f"demos.{module}"), function)
    directory = results_root / name
    stored = records.load(directory)
    stored["table"] = make_table(stored)
    stored["table_rebuilt"] = {"command": " ".join(["python demos/tables.py", *argv]),
                               "commit": records.commit()}
    records.write(directory, stored, common.write_json, common.write_text)


def provenance(stored):
    """One line: the command(s), wall time, threads and machine of a stored run, and the
    commit of each run."""
    commands = stored["command"] if isinstance(stored["command"], list) else [stored["command"]]
    machine = stored["machine"]
    shown = "; ".join(f"`{c}`" for c in commands)
    return (f"Produced by {shown} — {stored['seconds']:.0f} s of wall time in all, "
            f"{stored['threads']} BLAS thread(s), {machine['cpus']}-CPU {machine['processor']} "
            f"machine, minigrad {stored['minigrad_version']}.{_commits_text(stored)}")


def _commits_text(stored):
    """`` Commit: …`` of the runs in ``"provenance"`` (one entry when all agree)."""
    commits = [run["commit"] for run in stored.get("provenance", [])]
    if not commits:
        return ""
    shown = ["not recorded" if c == records.UNKNOWN_COMMIT else c[:7] +
             ("-dirty" if c.endswith("-dirty") else "") for c in commits]
    if len(set(shown)) == 1:
        return f" Commit: {shown[0]}" + (" (every run)." if len(shown) > 1 else ".")
    return f" Commits, run by run: {', '.join(shown)}."


def block(name, results_root):
    """The README text of the results block ``name``."""
    directory = results_root / name
    if not (directory / records.RESULTS).exists():
        raise FileNotFoundError(f"demos/README.md names results '{name}' but "
                                f"{directory / records.RESULTS} does not exist")
    stored = records.load(directory)
    return f"{stored['table']}\n\n{provenance(stored)}\n\n"


def regenerate(text, results_root):
    """``text`` with every results block rebuilt from ``results_root``."""
    return BLOCK.sub(lambda m: m.group(1) + block(m.group("name"), results_root) + m.group(4),
                     text)


def main(argv=None):
    p = argparse.ArgumentParser(prog="demos/tables.py", description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true",
                   help="only report whether the README is up to date (exit 1 if not)")
    p.add_argument("--rebuild", metavar="NAME",
                   help="render the stored tables of demos/results/NAME again from its numbers")
    args = p.parse_args(argv)
    if args.rebuild:
        rebuild(args.rebuild, DEMOS / "results", sys.argv[1:] if argv is None else argv)
    text = README.read_text(encoding="utf-8")
    updated = regenerate(text, DEMOS / "results")
    if args.check:
        broken = problems(DEMOS / "results")
        for name, listed in broken.items():
            print(f"demos/results/{name}/results.json: " + "; ".join(listed))
        if updated != text:
            print("demos/README.md differs from the results files; run python demos/tables.py")
        return 1 if broken or updated != text else 0
    common.write_text(README, updated)
    return 0


if __name__ == "__main__":
    sys.exit(main())
