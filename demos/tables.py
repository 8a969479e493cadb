"""Regenerate the result tables of ``demos/README.md`` from the committed results files.

    python demos/tables.py            # rewrite demos/README.md in place
    python demos/tables.py --check    # exit 1 if the README differs from the results

In the README each table block is delimited by ``<!-- results: NAME -->`` and
``<!-- /results -->``; everything between is replaced by the ``"table"`` of
``demos/results/NAME/results.json``, followed by the command that produced it,
its wall time, BLAS thread count and machine. A marker naming a folder without
a ``results.json`` is an error naming the file.
"""
import argparse
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


def provenance(stored):
    """One line: the command(s), wall time, threads and machine of a stored run."""
    commands = stored["command"] if isinstance(stored["command"], list) else [stored["command"]]
    machine = stored["machine"]
    shown = "; ".join(f"`{c}`" for c in commands)
    return (f"Produced by {shown} — {stored['seconds']:.0f} s of wall time in all, "
            f"{stored['threads']} BLAS thread(s), {machine['cpus']}-CPU {machine['processor']} "
            f"machine, minigrad {stored['minigrad_version']}.")


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
    args = p.parse_args(argv)
    text = README.read_text(encoding="utf-8")
    updated = regenerate(text, DEMOS / "results")
    if args.check:
        if updated != text:
            print("demos/README.md differs from the results files; run python demos/tables.py")
            return 1
        return 0
    common.write_text(README, updated)
    return 0


if __name__ == "__main__":
    sys.exit(main())
