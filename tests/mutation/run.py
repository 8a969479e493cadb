"""Mutation testing: plant one small bug at a time and see whether the tests notice.

    python -m tests.mutation.run [--targets curvature ops ...] [--sample N] [--seed S]
                                 [--jobs J] [--out FILE] [--list] [--no-baseline]

For each target of ``tests/mutation/config.json`` (source globs, test globs, sample size,
per-mutant timeout) the mutants of ``mutants.py`` are enumerated over the target's source
files, ``sample`` of them drawn with ``seed``, and each is run in a private copy of the
repository (one copy per job, so the working tree is never modified): the mutated file is
written, the tests mapped to it run with ``pytest -x``, and the original is written back
before the next mutant. A mutant is *killed* when pytest fails (any exit status other than
0 and 5), *survived* when the tests pass, *timeout* when they run past the target's
timeout (counted as killed) and *no-tests* when no test file is mapped to it.

The map from a source module to its tests is derived from the trees, so it follows files
that move: a test file of the target's test globs is mapped to module ``M`` when it mentions
(as a word) a public name defined in ``M`` or in a module of the same package that imports
``M`` (directly or through others), or ``M``'s own module name; files mentioning ``M``'s own
names come first, so ``-x`` stops early. With no such file, every test file of the target
is used.

Results go to ``--out`` (default ``tests/mutation/results/latest.json``, written
atomically): the commit, the command, the machine, every mutant with its status, and per
target the counts and the kill rate with the mutants listed in
``tests/mutation/equivalent.json`` (judged equivalent, with the reason) left out.
"""
import argparse
import ast
import collections
import concurrent.futures
import fnmatch
import glob
import json
import os
import platform
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from tests.mutation.mutants import mutated_source, mutation_points

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CONFIG = os.path.join(HERE, "config.json")
EQUIVALENT = os.path.join(HERE, "equivalent.json")
COPIED = ("minigrad", "optim", "models", "tests", "demos", "pytest.ini", "setup.py",
          "README.md", "LICENSE")


def _expand(patterns):
    """Repository-relative files matching ``patterns`` (globs, ``**`` allowed, or folders)."""
    found = []
    for pattern in patterns:
        path = os.path.join(ROOT, pattern)
        if os.path.isdir(path):
            path = os.path.join(path, "**", "test_*.py")
        for match in sorted(glob.glob(path, recursive=True)):
            relative = os.path.relpath(match, ROOT)
            if relative not in found:
                found.append(relative)
    return found


def _module_name(path):
    return os.path.splitext(path)[0].replace(os.sep, ".")


def _public_names(tree):
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return {n for n in names if not n.startswith("_")}


def _imported_modules(path, tree):
    """Module names imported by the module at ``path``, with the packages above them (importing
    ``a.b.c`` runs ``a/b/__init__.py``)."""
    package = _module_name(path).split(".")[:-1]
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            imported.add(module)
            imported |= {f"{module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
    parents = {".".join(name.split(".")[:i]) for name in imported
               for i in range(1, name.count(".") + 1)}
    return imported | parents


class ModuleTests:
    """Which test files to run for a mutant in a source module (see the module docstring)."""

    def __init__(self, sources, tests):
        self.tests = tests
        self.texts = {t: open(os.path.join(ROOT, t), encoding="utf-8").read() for t in tests}
        trees = {s: ast.parse(open(os.path.join(ROOT, s), encoding="utf-8").read())
                 for s in sources}
        self.names = {s: _public_names(tree) | {os.path.splitext(os.path.basename(s))[0]}
                      for s, tree in trees.items()}
        self.names = {s: {n for n in names if n != "__init__"} for s, names in self.names.items()}
        modules = {_module_name(s).removesuffix(".__init__"): s for s in sources}
        self.importers = collections.defaultdict(set)
        for source, tree in trees.items():
            for module in _imported_modules(source, tree):
                if module in modules and modules[module] != source:
                    self.importers[modules[module]].add(source)

    def _users(self, source):
        """``source`` and the modules of the target that import it, directly or not."""
        seen, stack = [source], [source]
        while stack:
            for importer in sorted(self.importers[stack.pop()]):
                if importer not in seen:
                    seen.append(importer)
                    stack.append(importer)
        return seen

    def _mentioning(self, names):
        if not names:
            return []
        pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(names))) + r")\b")
        return [t for t in self.tests if pattern.search(self.texts[t])]

    def tests_for(self, source):
        direct = self._mentioning(self.names[source])
        indirect = self._mentioning(set().union(*(self.names[u] for u in self._users(source))))
        chosen = direct + [t for t in indirect if t not in direct]
        return chosen or list(self.tests)


def _load_json(path, default):
    if not os.path.exists(path):
        return default
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def _target_mutants(target):
    sources = [s for s in _expand(target["sources"])
               if not any(fnmatch.fnmatch(s, p) for p in target.get("exclude", []))]
    mutants = []
    for source in sources:
        with open(os.path.join(ROOT, source), encoding="utf-8") as file:
            mutants += mutation_points(source, file.read())
    return sources, mutants


def _copy_repository(destination):
    os.makedirs(destination)
    repo = os.path.join(destination, "repo")
    os.makedirs(repo)
    for name in COPIED:
        path = os.path.join(ROOT, name)
        if os.path.isdir(path):
            shutil.copytree(path, os.path.join(repo, name),
                            ignore=shutil.ignore_patterns("__pycache__", "results", "*.png"))
        elif os.path.exists(path):
            shutil.copy2(path, os.path.join(repo, name))
    shared = os.path.join(os.path.dirname(ROOT), "shared")
    if os.path.isdir(shared):
        os.symlink(os.path.realpath(shared), os.path.join(destination, "shared"))
    return repo


def _pytest(repo, tests, timeout):
    """``(status, seconds, cpu seconds)`` of ``pytest -x`` on ``tests`` in the copy ``repo``."""
    env = dict(os.environ, PYTHONPATH=repo, PYTHONDONTWRITEBYTECODE="1",
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
               "--no-header", "-W", "ignore", *tests]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=repo, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + timeout
    while True:
        pid, wait_status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            code = os.waitstatus_to_exitcode(wait_status)
            status = "survived" if code in (0, 5) else "killed"
            break
        if time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            _, _, usage = os.wait4(process.pid, 0)
            status = "timeout"
            break
        time.sleep(0.2)
    process.returncode = 0
    return status, time.perf_counter() - started, usage.ru_utime + usage.ru_stime


def _run_mutants(job, mutants, plans, scratch):
    """Run ``mutants`` one after the other in a private copy; yields one record each."""
    repo = _copy_repository(os.path.join(scratch, f"job{job}"))
    records = []
    for mutant in mutants:
        tests, timeout = plans[mutant.key]
        path = os.path.join(repo, mutant.path)
        with open(path, encoding="utf-8") as file:
            original = file.read()
        try:
            with open(path, "w", encoding="utf-8") as file:
                file.write(mutated_source(original, mutant))
            status, seconds, cpu = _pytest(repo, tests, timeout) if tests else ("no-tests", 0, 0)
        finally:
            with open(path, "w", encoding="utf-8") as file:
                file.write(original)
        records.append({"key": mutant.key, "path": mutant.path, "line": mutant.line,
                        "operator": mutant.operator, "original": mutant.original,
                        "replacement": mutant.replacement, "status": status,
                        "seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1),
                        "tests": tests})
        print(f"[job {job}] {status:9s} {seconds:6.1f}s {mutant.key}", flush=True)
    return records


def _summary(records, equivalent):
    counts = collections.Counter(r["status"] for r in records)
    judged = [r for r in records if r["key"] in equivalent]
    counted = [r for r in records if r["key"] not in equivalent and r["status"] != "no-tests"]
    detected = sum(r["status"] in ("killed", "timeout") for r in counted)
    return {"mutants": len(records), **{k: counts[k] for k in sorted(counts)},
            "equivalent": len(judged), "kill_rate": round(detected / len(counted), 4)
            if counted else None,
            "survived_not_equivalent": [r["key"] for r in counted if r["status"] == "survived"]}


def _commit():
    result = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "minigrad", "optim", "tests"],
                           cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return result.stdout.strip() + (" (with uncommitted changes)" if dirty else "")


def _write_json(path, record):
    from minigrad.atomic import atomic_write
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    text = json.dumps(record, indent=1).encode("utf-8")
    atomic_write(path, lambda file: file.write(text))


def _merge_rerun(previous, records, command, commit, wall, cpu):
    """``previous`` results with the rerun ``records`` in place of the mutants they repeat;
    each keeps the status it had before, and the rerun is added to ``reruns``."""
    rerun = {r["key"]: r for r in records}
    merged = []
    for old in previous["mutants"]:
        new = rerun.get(old["key"])
        if new is not None:
            new = dict(new, status_before_rerun=old["status"])
        merged.append(new or old)
    reruns = previous.get("reruns", []) + [{
        "commit": commit, "command": command, "mutants": len(records),
        "killed_now": sum(r["status"] != "survived" for r in records),
        "wall_seconds": wall, "cpu_seconds": cpu,
        "load_average_at_the_end": round(os.getloadavg()[0], 1)}]
    return dict(previous, mutants=merged, reruns=reruns)


def main(argv=None):
    config = _load_json(CONFIG, None)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", nargs="+", choices=sorted(config["targets"]),
                        default=sorted(config["targets"]))
    parser.add_argument("--sample", type=int, default=None,
                        help="mutants per target (default: the target's sample in config.json)")
    parser.add_argument("--seed", type=int, default=config["seed"])
    parser.add_argument("--jobs", type=int, default=config["jobs"])
    parser.add_argument("--out", default=os.path.join(HERE, "results", "latest.json"))
    parser.add_argument("--list", action="store_true", help="list the sampled mutants and "
                        "their tests, run nothing")
    parser.add_argument("--only", nargs="+", default=None,
                        help="run these mutant keys only")
    parser.add_argument("--rerun-survivors", metavar="RESULTS", default=None,
                        help="rerun the surviving, non-equivalent mutants of a results file "
                             "on the current code and update that file")
    args = parser.parse_args(argv)
    command = "python -m tests.mutation.run " + " ".join(
        argv if argv is not None else sys.argv[1:])
    equivalent = {entry["key"]: entry["reason"] for entry in _load_json(EQUIVALENT, [])}
    previous = None
    if args.rerun_survivors is not None:
        previous = _load_json(args.rerun_survivors, None)
        args.only = [r["key"] for r in previous["mutants"]
                     if r["status"] == "survived" and r["key"] not in equivalent]
        args.targets = sorted({r["target"] for r in previous["mutants"]})
        args.out = args.rerun_survivors
    chosen, plans, target_of = [], {}, {}
    for name in args.targets:
        target = config["targets"][name]
        sources, mutants = _target_mutants(target)
        module_tests = ModuleTests(sources, _expand(target["tests"]))
        if args.only is not None:
            sample = [m for m in mutants if m.key in args.only]
        else:
            size = min(args.sample or target["sample"], len(mutants))
            sample = sorted(random.Random(f"{args.seed}:{name}").sample(mutants, size),
                            key=lambda m: (m.path, m.line, m.col))
        for mutant in sample:
            plans[mutant.key] = (module_tests.tests_for(mutant.path), target["timeout"])
            target_of[mutant.key] = name
        chosen += sample
        print(f"{name}: {len(sample)} of {len(mutants)} mutants in {len(sources)} files",
              flush=True)
    if args.list:
        for mutant in chosen:
            print(f"{mutant.key}\n    {mutant.original!r} → {mutant.replacement!r}\n    "
                  f"tests: {' '.join(plans[mutant.key][0])}")
        return
    started, commit = time.perf_counter(), _commit()
    records = []
    with tempfile.TemporaryDirectory(prefix="minigrad-mutation-") as scratch:
        shares = [chosen[job::args.jobs] for job in range(args.jobs)]
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            for result in pool.map(lambda j: _run_mutants(j, shares[j], plans, scratch),
                                   range(args.jobs)):
                records += result
    for record in records:
        record["target"] = target_of[record["key"]]
    wall = round(time.perf_counter() - started, 1)
    cpu = round(sum(r["cpu_seconds"] for r in records), 1)
    if previous is not None:
        record = _merge_rerun(previous, records, command, commit, wall, cpu)
        records = record["mutants"]
    else:
        record = {"commit": commit, "command": command,
                  "machine": f"{platform.machine()}, {os.cpu_count()} cores; "
                             f"load average at the end {os.getloadavg()[0]:.1f}",
                  "seed": args.seed, "jobs": args.jobs, "wall_seconds": wall,
                  "cpu_seconds": cpu, "mutants": records}
    records.sort(key=lambda r: (r["target"], r["path"], r["line"]))
    summary = {name: _summary([r for r in records if r["target"] == name], equivalent)
               for name in sorted({r["target"] for r in records})}
    record["summary"] = summary
    _write_json(args.out, record)
    for name, counts in summary.items():
        print(f"{name}: {json.dumps({k: v for k, v in counts.items() if k != 'survived_not_equivalent'})}")
    print(f"wall {wall} s, test CPU {cpu} s; "
          f"results in {os.path.relpath(args.out, ROOT)}")


if __name__ == "__main__":
    main()
