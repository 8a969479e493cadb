#!/usr/bin/env bash
# The GPU check in one go, for a short slot on a CUDA machine:
#
#   demos/gpu_check.sh OUT_DIR                                   # on the GPU (CuPy)
#   MINIGRAD_BACKEND=cupy-standin demos/gpu_check.sh OUT_DIR     # rehearsal on a CPU
#
# Runs, each under its share of a total time limit (GPU_CHECK_SECONDS, default 570 s):
#   1. the backend parity test (tests/test_backend_parity.py), at most 120 s,
#   2. the whole test suite on the device backend, at most 240 s,
#   3. demos/gpu_workloads.py: the papers' workloads timed on the device against PyTorch
#      (KFAC/KFRA/KFLR updates, trust-region and ARC iterations, a class-subspace step,
#      ResNet-9 SGD, ResNet-18 AdaHessian), at most GPU_WORKLOADS_SECONDS (default 180 s;
#      about 1 minute expected on an H100). GPU_WORKLOADS_SIZE=small shrinks their batches
#      for a rehearsal on a CPU (default full),
#   4. demos/benchmark.py --device cuda (skipped, and logged as missing, if absent), with
#      what is left of the budget.
# GPU_CHECK_STEPS picks steps for a rerun (default "parity suite benchmark workloads").
# Writes into OUT_DIR: environment.txt, one NAME.log and NAME.xml (JUnit) per step,
# workloads.json, and summary.json (per step: command, exit status, seconds, whether it
# hit its limit, the pytest summary line; the workload timings under "workloads"). A
# failing or timed-out step does not stop the later ones; the script exits non-zero if
# any step failed.
set -uo pipefail

out=${1:?usage: demos/gpu_check.sh OUT_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out" && out=$(cd "$out" && pwd)
cd "$root"

backend=${MINIGRAD_BACKEND:-cupy}
budget=${GPU_CHECK_SECONDS:-570}
wanted=" ${GPU_CHECK_STEPS:-parity suite benchmark workloads} "
workloads_share=${GPU_WORKLOADS_SECONDS:-180}
deadline=$((SECONDS + budget))
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}"
export CUPY_CACHE_DIR=${CUPY_CACHE_DIR:-${TMPDIR:-/tmp}/minigrad-cupy-kernels}
if [ "$backend" = cupy-standin ]; then
    # scripts outside pytest find the stand-in the way tests/conftest.py installs it
    script_env=(env PYTHONPATH="$root/tests/cupy_standin:$PYTHONPATH" MINIGRAD_BACKEND=cupy)
    torch_device=cpu  # the stand-in is a CPU: PyTorch's side of the rehearsal runs there too
else
    script_env=(env MINIGRAD_BACKEND="$backend")
    torch_device=cuda
fi
steps="$out/steps.tsv"
: > "$steps"

{
    date -u
    echo "backend: $backend  budget: ${budget}s  commit: $(git rev-parse --short HEAD 2>/dev/null)"
    if command -v nvidia-smi > /dev/null; then
        nvidia-smi 2>&1
    else
        echo "nvidia-smi: not available"
    fi
    "${script_env[@]}" python - <<'PY' 2>&1
import importlib, platform
print("python", platform.python_version())
for name in ("numpy", "scipy", "pytest", "matplotlib", "cupy", "torch"):
    try:
        module = importlib.import_module(name)
    except Exception as err:  # report every missing requirement, not only the first
        print(f"{name}: MISSING ({type(err).__name__}: {err})")
        continue
    print(name, module.__version__)
import cupy
print("cuda devices", cupy.cuda.runtime.getDeviceCount())
PY
} > "$out/environment.txt"

# run NAME SHARE_SECONDS COMMAND...: run COMMAND with at most SHARE_SECONDS (and never past
# the deadline), interrupting it with SIGINT so that pytest still prints its summary.
run() {
    local name=$1 share=$2; shift 2
    [[ $wanted == *" $name "* ]] || return 0
    local left=$((deadline - SECONDS)) start=$SECONDS rc
    local limit=$((share < left ? share : left))
    if [ "$limit" -le 5 ]; then
        echo "$name: no time left in the ${budget}s budget" | tee "$out/$name.log"
        printf '%s\t%s\t%s\t%s\t%s\n' "$name" 124 0 1 "$*" >> "$steps"
        return
    fi
    echo "== $name (limit ${limit}s): $*"
    timeout -s INT -k 20 "$limit" "$@" > "$out/$name.log" 2>&1
    rc=$?
    local timed_out=$(( rc == 124 || rc == 137 ? 1 : 0 ))
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$rc" $((SECONDS - start)) "$timed_out" "$*" >> "$steps"
    tail -n 3 "$out/$name.log"
}

pytest_args=(-q -p no:cacheprovider -rfE --durations=15)
run parity 120 env MINIGRAD_BACKEND="$backend" python -m pytest "${pytest_args[@]}" \
    --junitxml="$out/parity.xml" tests/test_backend_parity.py
run suite 240 env MINIGRAD_BACKEND="$backend" python -m pytest "${pytest_args[@]}" \
    --junitxml="$out/suite.xml"
[[ $wanted == *" workloads "* ]] && rm -f "$out/workloads.json"  # no stale timings
run workloads "$workloads_share" "${script_env[@]}" python demos/gpu_workloads.py --device cuda \
    --torch-device "$torch_device" --size "${GPU_WORKLOADS_SIZE:-full}" \
    --out "$out/workloads.json"

if [[ $wanted != *" benchmark "* ]]; then
    :
elif [ -f demos/benchmark.py ]; then
    bench=("${script_env[@]}" python demos/benchmark.py --device cuda)
    if python demos/benchmark.py --help 2>/dev/null | grep -q -- "--out"; then
        bench+=(--out "$out/benchmark")
    fi
    run benchmark "$budget" "${bench[@]}"
else
    echo "demos/benchmark.py is missing: benchmark step skipped" | tee "$out/benchmark.log"
    printf '%s\t%s\t%s\t%s\t%s\n' benchmark missing 0 0 "demos/benchmark.py --device cuda" \
        >> "$steps"
fi

python - "$out" "$backend" "$budget" <<'PY'
import json, pathlib, re, sys
out, backend, budget = pathlib.Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
steps = []
for line in (out / "steps.tsv").read_text().splitlines():
    name, rc, seconds, timed_out, command = line.split("\t", 4)
    path = out / f"{name}.log"
    log = path.read_text(errors="replace") if path.exists() else ""
    summary = [l.strip("= ") for l in log.splitlines()
               if re.search(r"\d+ (passed|failed|error)", l)]
    steps.append({"name": name, "command": command,
                  "exit_status": int(rc) if rc.lstrip("-").isdigit() else rc,
                  "seconds": int(seconds), "timed_out": timed_out == "1",
                  "summary": summary[-1] if summary else None, "log": f"{name}.log"})
ok = all(s["exit_status"] in (0, "missing") for s in steps)
summary = {"backend": backend, "budget_seconds": budget, "ok": ok, "steps": steps}
if any(s["name"] == "workloads" for s in steps) and (out / "workloads.json").exists():
    summary["workloads"] = json.loads((out / "workloads.json").read_text())
(out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
print(json.dumps({s["name"]: s["summary"] or s["exit_status"] for s in steps}))
sys.exit(0 if ok else 1)
PY
