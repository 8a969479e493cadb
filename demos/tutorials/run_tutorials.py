"""Executes the tutorials (Jupytext ``py:percent`` sources) as notebooks and times each.

    python demos/tutorials/run_tutorials.py                     # all, one line each: name, seconds
    python demos/tutorials/run_tutorials.py 03_layerwise_hessian_recursion.py
    python demos/tutorials/run_tutorials.py --figure 03_layerwise_hessian_recursion.py \\
        readme-figure docs/images/hessian_blocks.png          # the PNG of the tagged cell

``execute(path)`` converts the source with Jupytext and runs it with nbclient in a
fresh Python kernel whose working folder is this one (so ``solutions/`` and
``exercises.py`` import); a cell that raises stops it with ``CellExecutionError``.
``--write DIR`` also keeps each executed notebook as ``DIR/NAME.ipynb``. Each line gives the
wall time and the CPU time of the kernel and the processes it started (on a loaded machine
the wall time grows, the CPU time much less).
"""
import argparse
import base64
import pathlib
import resource
import sys
import time

FOLDER = pathlib.Path(__file__).resolve().parent
CELL_TIMEOUT_S = 300


def tutorial_paths():
    """The tutorial sources, in reading order (``NN_name.py``)."""
    return sorted(FOLDER.glob("[0-9][0-9]_*.py"))


def execute(path):
    """``(executed notebook, seconds)`` for the tutorial at ``path``."""
    import jupytext
    from nbclient import NotebookClient
    notebook = jupytext.read(path)
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(FOLDER)}})
    start = time.perf_counter()
    client.execute()
    return notebook, time.perf_counter() - start


def _children_cpu_seconds():
    """User + system CPU seconds of the finished child processes (the kernels and theirs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tagged_png(notebook, tag):
    """The bytes of the first PNG output of the cell tagged ``tag``."""
    for cell in notebook.cells:
        if tag in cell.get("metadata", {}).get("tags", []):
            for output in cell.get("outputs", []):
                png = output.get("data", {}).get("image/png")
                if png:
                    return base64.b64decode(png)
    raise LookupError(f"no cell tagged {tag!r} with a PNG output")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tutorials", nargs="*", help="file names in demos/tutorials (default: all)")
    parser.add_argument("--figure", nargs=3, metavar=("TUTORIAL", "TAG", "PNG"),
                        help="write the PNG of TUTORIAL's cell tagged TAG to the file PNG")
    parser.add_argument("--write", metavar="DIR", help="keep each executed notebook in DIR")
    args = parser.parse_args(argv)
    if args.figure:
        name, tag, out = args.figure
        notebook, _ = execute(FOLDER / name)
        out = pathlib.Path(out)
        partial = out.with_name(out.name + ".partial")
        partial.write_bytes(tagged_png(notebook, tag))
        partial.replace(out)
        print(f"{out}: the figure of {name} [{tag}]")
        return 0
    paths = [FOLDER / name for name in args.tutorials] or tutorial_paths()
    for path in paths:
        before = _children_cpu_seconds()
        notebook, seconds = execute(path)
        print(f"{path.name}: {seconds:.1f} s wall, {_children_cpu_seconds() - before:.1f} s CPU",
              flush=True)
        if args.write:
            import nbformat
            folder = pathlib.Path(args.write)
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, folder / f"{path.stem}.ipynb")
    return 0


if __name__ == "__main__":
    sys.exit(main())
