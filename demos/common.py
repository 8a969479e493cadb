"""Shared plumbing of the paper demos: arguments, data subsets, a run loop, tables, figures.

Every demo script is ``python demos/NAME.py [--quick | --full] [--out DIR]`` with a
``main(argv=None)`` that returns its results as a dict. This module holds what
they share:

* ``parser(name, description)``: the common flags (``--quick``, ``--full``,
  ``--out``, ``--force``, ``--threads``, ``--seed``, ``--data-root``,
  ``--download``); results go to ``demos/results/NAME/`` (``runs/quick/NAME/``
  for ``--quick``), laid out as ``records`` describes;
* ``load_dataset`` / ``subsets``: MNIST or CIFAR-10 from the usual places, or — when
  it is absent and not downloaded — the synthetic digits in its image shape, with a
  printed notice (``minigrad.data.load_or_synthetic``, the one fallback);
  ``pixels`` (images as ``(N, 784)`` floats in [0, 1]) and ``standardized``
  (``(N, 1, 28, 28)`` normalised by the data set's mean and std);
* ``run_loop``: calls a step function, times the steps (evaluation excluded),
  records metrics every few steps and prints one progress line each time;
* ``CountingClosure``: a curvature closure that counts gradients, curvature
  products and loss-only evaluations (for progress measured in backprops);
* ``markdown_table``, ``figure``, ``save_figure`` (PNG, Agg backend, written
  atomically), ``write_json`` (atomic) and ``finish`` (print the table, store
  ``results.json`` and ``table.md``).
"""
import argparse
import io
import json
import math
import pathlib
import re
import sys
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (Agg must be chosen first)
import numpy  # noqa: E402

import minigrad  # noqa: E402
from minigrad import data  # noqa: E402
from minigrad.checkpoint import atomic_write  # noqa: E402
from demos import records  # noqa: E402

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]
_START = [time.perf_counter()]


def parser(name, description):
    """An ``ArgumentParser`` with the common flags; ``--out`` defaults to
    ``demos/results/<name>`` (``runs/quick/<name>`` with ``--quick``)."""
    result = argparse.ArgumentParser(prog=f"demos/{name}.py", description=description)
    scale = result.add_mutually_exclusive_group()
    scale.add_argument("--quick", action="store_true",
                       help="a tiny configuration that finishes in seconds (for tests)")
    scale.add_argument("--full", action="store_true",
                       help="a larger scale, nearer the paper's (slow on a CPU)")
    result.add_argument("--out", default=None,
                        help=f"folder for figures, table.md and results.json (default: "
                             f"demos/results/{name}, or runs/quick/{name} with --quick)")
    result.add_argument("--force", action="store_true",
                        help="overwrite an earlier run's results in --out")
    result.add_argument("--threads", type=int, default=1,
                        help="BLAS threads to pin (recorded in results.json; default 1)")
    result.add_argument("--seed", type=int, default=0, help="seed of data subsets and weights")
    result.add_argument("--data-root", default=None,
                        help="folder holding mnist/ (default: the usual search path)")
    result.add_argument("--download", action="store_true",
                        help="download MNIST when it is not found (otherwise fall back to "
                             "the synthetic digits)")
    return result


def parse(argument_parser, argv, presets, merge=False):
    """Parse ``argv`` and fill every option left at ``None`` from ``presets[scale]``.

    ``presets`` maps ``"quick"``, ``"default"`` and ``"full"`` to dicts of option
    values; the scale is chosen by ``--quick`` / ``--full``. Explicit flags win.
    The BLAS thread count is pinned to ``--threads``. Unless ``merge`` (the demo
    adds methods to an earlier run itself, ``records.merge_methods``), a
    ``results.json`` already in ``--out`` stops the run before it starts unless
    ``--force``.
    """
    args = argument_parser.parse_args(argv)
    args.argv = list(argv) if argv is not None else sys.argv[1:]
    args.prog = argument_parser.prog
    args.scale = "quick" if args.quick else "full" if args.full else "default"
    for key, value in presets[args.scale].items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    if args.out is None:
        name = argument_parser.prog[len("demos/"):-len(".py")]
        args.out = (REPOSITORY / "runs" / "quick" / name if args.quick
                    else REPOSITORY / "demos" / "results" / name)
    args.out = pathlib.Path(args.out)
    if not merge:
        records.claim(args.out, args.force)
    args.out.mkdir(parents=True, exist_ok=True)
    minigrad.set_num_threads(args.threads)
    args.threads = minigrad.get_num_threads()
    _START[0] = time.perf_counter()
    return args


def method_list(argument_parser, text, known):
    """The comma-separated names in ``text``; an unknown one is a usage error."""
    methods = text.split(",")
    unknown = [m for m in methods if m not in known]
    if unknown:
        argument_parser.error(f"unknown methods {unknown}; choose from {list(known)}")
    return methods


def log(message):
    """Print ``message`` prefixed by the seconds since the arguments were parsed."""
    print(f"[{time.perf_counter() - _START[0]:7.1f}s] {message}", flush=True)


def load_dataset(name, split, root=None, download=False):
    """``(images uint8 (N, C, H, W), labels int64 (N,), source)`` of ``name``'s ``split``.

    The one data fallback, ``minigrad.data.load_or_synthetic``: ``source`` is ``name``,
    or ``"synthetic"`` (the synthetic digits in ``name``'s image shape) when ``name`` is
    not found (and not downloaded), which is printed with the folders searched.
    """
    return data.load_or_synthetic(name, split, root=root, download=download, log=log)


def subsets(name, sizes, seed=0, root=None, download=False, test_size=None):
    """Disjoint random subsets of ``name``'s training split, plus optionally its test split.

    Returns ``(pieces, source)``: ``pieces`` is a list of ``(images, labels)`` with
    ``sizes[i]`` samples each (``data.split`` of the training split), followed by
    ``test_size`` samples of the test split when ``test_size`` is given.
    """
    images, labels, source = load_dataset(name, "train", root, download)
    sizes = [min(int(size), len(images)) for size in sizes]
    if sum(sizes) > len(images):
        raise ValueError(f"subsets: sizes {sizes} exceed the {len(images)} {source} "
                         f"training images")
    pieces = data.split(images, labels, sizes, seed=seed)
    if test_size is not None:
        test_images, test_labels, _ = load_dataset(name, "test", root, download)
        pieces += data.split(test_images, test_labels, [min(test_size, len(test_images))],
                             seed=seed)
    return pieces, source


def pixels(images, dtype=numpy.float32):
    """Images ``(N, 1, 28, 28)`` uint8 as ``(N, 784)`` floats in [0, 1] (autoencoder inputs)."""
    return (numpy.asarray(images, dtype=dtype) / dtype(255)).reshape(len(images), -1)


def standardized(images, source, dtype=numpy.float32):
    """Images normalised with ``data.STATISTICS[source]``: ``(x/255 − mean)/std``, shape kept."""
    mean, std = data.STATISTICS[source]
    return data.normalize(images, mean, std, dtype=dtype)


def tensor(array):
    """A float Tensor of the default dtype (or an int64 Tensor for integer arrays)."""
    array = numpy.asarray(array)
    if array.dtype.kind in "iu":
        return minigrad.tensor(array.astype(numpy.int64))
    return minigrad.tensor(array.astype(minigrad.get_default_dtype()))


def batches(count, batch_size, rng):
    """Index arrays of one shuffled pass over ``count`` samples (the last batch may be smaller)."""
    order = rng.permutation(count)
    return [order[i:i + batch_size] for i in range(0, count, batch_size)]


def check_finite(value, what):
    """``float(value)``, or ``FloatingPointError`` naming ``what`` when it is NaN or infinite."""
    number = float(value)
    if not math.isfinite(number):
        raise FloatingPointError(f"{what} is {number}")
    return number


def run_loop(label, step, steps, evaluate=None, every=1, time_budget=None, clock="step"):
    """Run ``step(k)`` for ``k = 1, 2, …`` until ``steps`` on ``clock``; returns the records.

    ``step(k)`` performs update ``k`` and returns a dict of numbers (e.g. the
    mini-batch ``loss`` and the ``backprops`` it cost, 1 if absent). ``clock``
    is ``"step"`` (updates) or ``"backprops"`` (cumulative backpropagations):
    the loop stops once the clock reaches ``steps``, and each time it passes a
    multiple of ``every`` (and at the end) ``evaluate()`` (a dict, not timed)
    is merged into a record ``{"step", "time" (seconds of steps so far),
    "backprops", **step info, **evaluation}``, which is checked to be finite
    and printed. ``time_budget`` (seconds of steps) stops the loop early.
    """
    if clock not in ("step", "backprops"):
        raise ValueError(f"run_loop: clock must be 'step' or 'backprops', got {clock!r}")
    records, elapsed, backprops, k = [], 0.0, 0, 0
    while True:
        k += 1
        start = time.perf_counter()
        info = dict(step(k) or {})
        elapsed += time.perf_counter() - start
        previous = k - 1 if clock == "step" else backprops
        backprops += info.pop("backprops", 1)
        now = k if clock == "step" else backprops
        last = now >= steps or (time_budget is not None and elapsed >= time_budget)
        if now // every > previous // every or last:
            record = {"step": k, "time": elapsed, "backprops": backprops, **info}
            if evaluate is not None:
                record.update(evaluate())
            for key, value in record.items():
                check_finite(value, f"{label} step {k}: {key}")
            records.append(record)
            shown = "  ".join(f"{key} {_format(value)}" for key, value in record.items()
                              if key != "step")
            log(f"{label:>14s} step {k:5d}  {shown}")
        if last:
            return records


def _format(value):
    if isinstance(value, (int, numpy.integer)):
        return str(int(value))
    return f"{value:.4g}"


def markdown_table(headers, rows):
    """A markdown table; floats are shown with 4 significant digits."""
    def cell(value):
        if isinstance(value, float):
            return f"{value:.4g}"
        return str(value)
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _atomic_write(path, write, binary):
    """``minigrad.checkpoint.atomic_write`` for a binary or a text writer; returns the path."""
    def write_text(stream):
        text = io.TextIOWrapper(stream, encoding="utf-8")
        write(text)
        text.flush()
        text.detach()

    atomic_write(path, write if binary else write_text)
    return pathlib.Path(path)


def save_figure(figure, path):
    """Write ``figure`` as a PNG to ``path`` atomically (temp file + ``os.replace``), close it."""
    try:
        write = lambda stream: figure.savefig(stream, format="png", dpi=110,  # noqa: E731
                                              bbox_inches="tight")
        return _atomic_write(path, write, True)
    finally:
        plt.close(figure)


def write_json(path, results):
    """Write ``results`` as indented JSON to ``path`` atomically (NumPy numbers become floats;
    lists of plain values on one line)."""
    text = json.dumps(results, indent=1, default=_plain)
    return _atomic_write(path, lambda s: s.write(_NUMBER_LIST.sub(_one_line, text)), False)


_NUMBER_LIST = re.compile(r"\[[-+0-9.eE,\s]*\]|\[[-+0-9.eE,\s\"a-zA-Z]*\]")


def _one_line(match):
    """A JSON list of plain values on one line (results files hold long curves)."""
    return re.sub(r"\s+", "", match.group(0)).replace(",", ", ")


def _plain(value):
    if isinstance(value, (numpy.integer,)):
        return int(value)
    if isinstance(value, (numpy.floating,)):
        return float(value)
    if isinstance(value, numpy.ndarray):
        return value.tolist()
    if isinstance(value, pathlib.Path):
        return str(value)
    raise TypeError(f"write_json: cannot serialise {type(value).__name__}")


def figure(columns=1, rows=1, width=5.0, height=3.6):
    """A new ``(figure, axes array)`` of ``rows × columns`` panels (axes always 2-D)."""
    fig, axes = plt.subplots(rows, columns, figsize=(width * columns, height * rows),
                             squeeze=False)
    return fig, axes


def epoch_axis(ax):
    """Label the x axis "epoch" with whole-number ticks only."""
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))


LINE_STYLES = ("-", "--", "-.", ":", (0, (5, 1)))


def settings(args, exclude=()):
    """The options of ``args`` that decide a run's numbers (not where it writes, not argv)."""
    skipped = {"out", "force", "argv", "prog", "quick", "full", "data_root", "download",
               *exclude}
    return {key: value for key, value in sorted(vars(args).items()) if key not in skipped}


def run_header(args, exclude=()):
    """``records.header`` of this run: command, version, threads, machine, settings (those
    of ``settings(args, exclude)``)."""
    command = " ".join(["python", args.prog] + args.argv)
    return records.header(command, settings(args, exclude), args.threads)


def out_text(args):
    """``--out`` as written in results: relative to the repository when inside it."""
    try:
        return str(args.out.resolve().relative_to(REPOSITORY))
    except ValueError:
        return str(args.out)


def elapsed():
    """Seconds since the arguments were parsed."""
    return time.perf_counter() - _START[0]


def write_text(path, text):
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    return _atomic_write(path, lambda stream: stream.write(text), False)


def finish(args, name, results, table):
    """Print ``table``; store ``results`` (with the run's header, the table and its wall
    time) as ``out/results.json`` and the table as ``out/table.md``; return them."""
    results = {**run_header(args), **results, "table": table, "out": out_text(args),
               "scale": args.scale, "seconds": elapsed()}
    print(f"\n## {name}\n\n{table}\n", flush=True)
    records.write(args.out, results, write_json, write_text)
    log(f"results and figures in {args.out}")
    return results


def finish_merged(args, name, results, key, make_table, make_figures, prepare=None):
    """Store ``results`` with ``records.merge_methods`` (its ``results[key]`` methods added to
    an earlier run of the same settings), completing the merged dict under the lock:
    ``prepare(stored)`` if given, then its ``"table"`` (``make_table(stored)``) and
    ``"figures"`` (``make_figures(stored, out)``); print the table and return the dict."""
    def complete(stored):
        if prepare is not None:
            prepare(stored)
        stored["table"] = make_table(stored)
        stored["figures"] = make_figures(stored, args.out)
        records.write(args.out, stored, write_json, write_text)
        return stored

    stored = records.merge_methods(args.out, results, key, args.force, complete)
    print(f"\n## {name}\n\n{stored['table']}\n", flush=True)
    return stored


class CountingClosure:
    """A curvature closure that counts what it is asked: backprops, forward passes, products.

    Wraps ``minigrad.curvature.Closure`` (any attribute not defined here is the
    wrapped one's, e.g. ``params``). ``counts`` is shared so one dict can total
    several closures: ``backprops`` counts gradients (``closure()``, one forward
    and one backward pass), ``products`` Hessian or Gauss-Newton vector
    products (about one more backward pass each, Pearlmutter 1994), ``forwards``
    loss-only evaluations (``loss_value``).
    """

    def __init__(self, closure, counts):
        self.closure, self.counts = closure, counts
        for key in ("backprops", "products", "forwards"):
            counts.setdefault(key, 0)

    def __getattr__(self, name):
        return getattr(self.closure, name)

    def __call__(self):
        self.counts["backprops"] += 1
        return self.closure()

    def loss_value(self):
        self.counts["forwards"] += 1
        return self.closure.loss_value()

    def hvp(self, vectors):
        self.counts["products"] += 1
        return self.closure.hvp(vectors)

    def ggnvp(self, vectors):
        self.counts["products"] += 1
        return self.closure.ggnvp(vectors)

    def hessian_product(self, backward=True):
        """The wrapped operator (one gradient: forward and backward), its products counted."""
        self.counts["backprops"] += 1
        return CountedProduct(self.closure.hessian_product(backward), self.counts)

    def gauss_newton_product(self, backward=True):
        self.counts["backprops"] += 1
        return CountedProduct(self.closure.gauss_newton_product(backward), self.counts)


class CountedProduct:
    """A curvature product operator that adds each application to ``counts["products"]``."""

    def __init__(self, product, counts):
        self.product, self.counts = product, counts
        self.loss = product.loss

    def apply(self, vectors, retain_graph=True):
        self.counts["products"] += 1
        return self.product.apply(vectors, retain_graph)
