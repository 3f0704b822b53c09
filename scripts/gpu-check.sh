#!/usr/bin/env bash
# The GPU check of the two CNN examples, in two halves (README "GPU check"):
#
#   scripts/gpu-check.sh build          # here: release-builds the tch example and the Burn
#                                       # example with CUDA, packs them into gpu/carry/
#   scripts/gpu-check.sh run [--smoke]  # on the GPU machine (or any other), from the
#                                       # repository root, with gpu/carry carried
#
# `run` writes $OUT/gpu-report.json and $OUT/gpu-report.md (OUT defaults to ./gpu-out):
# the device each part used and its figures. Every part has its own time box, so a hang or
# Burn's first-run kernel autotune cannot eat the budget; the whole run stays under 8
# minutes. `--smoke` runs 2 trials of 1 epoch per part and works without a GPU: the CUDA
# parts are then reported as skipped, with the reason.
#
# The lent GPU machine has no Rust toolchain and no network; torch is at its own python3
# (../shared/GPU.md). The tch binary loads libtorch from there (LD_LIBRARY_PATH); the Burn
# binary needs only the driver (libcuda, nvrtc).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
[ -f "$ROOT/Cargo.toml" ] || ROOT="$(cd "$HERE/../.." && pwd)" # run from gpu/carry/
CARRY="$ROOT/gpu/carry"
TORCH_VERSION=2.11.0
LIMIT_MIB=60

log() { echo "== $*" >&2; }

build() {
  local start=$SECONDS
  cd "$ROOT"
  if ! python3 -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '$TORCH_VERSION')" 2>/dev/null; then
    log "installing torch==$TORCH_VERSION (pip, ~2.5 GB; tch links its libtorch)"
    python3 -m pip install "torch==$TORCH_VERSION"
  fi
  log "release build: example-tune-cnn-tch (libtorch $TORCH_VERSION from pip torch)"
  LIBTORCH_USE_PYTORCH=1 cargo build --release --locked -p example-tune-cnn-tch
  log "release build: example-tune-cnn-burn --features cuda (CUDA 13.0)"
  CUDARC_CUDA_VERSION=13000 cargo build --release --locked -p example-tune-cnn-burn --features cuda
  rm -rf "$CARRY" && mkdir -p "$CARRY/bin"
  cp target/release/tune_cnn_tch target/release/tune_cnn_burn "$CARRY/bin/"
  strip "$CARRY/bin/"*
  python3 - "$CARRY" <<'EOF'
import json, subprocess, sys, tarfile, time, tomllib
carry = sys.argv[1]
with tarfile.open(f"{carry}/bins.tar.xz", "w:xz") as tar:
    tar.add(f"{carry}/bin", arcname="bin")
lock = tomllib.load(open("Cargo.lock", "rb"))
wanted = {"tch", "torch-sys", "burn", "cubecl", "cubecl-cuda", "cudarc"}
versions = {p["name"]: p["version"] for p in lock["package"] if p["name"] in wanted}
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
json.dump({"crates": versions, "commit": commit, "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "cuda_build": "CUDARC_CUDA_VERSION=13000"}, open(f"{carry}/build.json", "w"), indent=2)
EOF
  rm -rf "$CARRY/bin"
  cp "$HERE/gpu-check.sh" "$HERE/gpu_report.py" "$CARRY/"
  if [ -f "$ROOT/gpu/cubecl-cache.tar.gz" ]; then
    cp "$ROOT/gpu/cubecl-cache.tar.gz" "$CARRY/" # Burn's autotune results of an earlier GPU run
  fi
  local mib
  mib=$(du -sm "$CARRY" | cut -f1)
  if [ "$mib" -gt "$LIMIT_MIB" ]; then
    echo "gpu/carry is $mib MiB, over the $LIMIT_MIB MiB limit" >&2
    exit 1
  fi
  log "gpu/carry: $mib MiB, built in $((SECONDS - start)) s"
  ls -l "$CARRY" >&2
}

# run_part NAME BOX_SECONDS COMMAND...: runs COMMAND under a time box, its output in
# $OUT/parts/NAME.log, its exit status in $OUT/parts/NAME.status ("timeout" when killed).
run_part() {
  local name=$1 box=$2
  shift 2
  log "part $name (time box ${box} s)"
  local rc=0
  timeout --kill-after=10 "$box" "$@" >"$OUT/parts/$name.log" 2>&1 || rc=$?
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then echo timeout >"$OUT/parts/$name.status"; else echo "$rc" >"$OUT/parts/$name.status"; fi
  tail -n 4 "$OUT/parts/$name.log" >&2 || true
}

# skip_part NAME REASON
skip_part() {
  log "part $1 skipped: $2"
  echo "skipped" >"$OUT/parts/$1.status"
  echo "$2" >"$OUT/parts/$1.reason"
}

# Samples the GPU's used memory (MiB) every 200 ms into $OUT/parts/NAME.mem until stopped.
mem_start() {
  if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 >"$OUT/parts/$1.mem" 2>/dev/null &
    MEM_PID=$!
  else
    MEM_PID=
  fi
}
mem_stop() { if [ -n "${MEM_PID:-}" ]; then kill "$MEM_PID" 2>/dev/null || true; wait "$MEM_PID" 2>/dev/null || true; fi; }

run() {
  local smoke=0
  [ "${1:-}" = "--smoke" ] && smoke=1
  local started=$SECONDS
  cd "$ROOT"
  OUT="${OUT:-./gpu-out}"
  mkdir -p "$OUT/parts"
  OUT="$(cd "$OUT" && pwd)"
  work="$(mktemp -d)" # global: the EXIT trap removes it
  trap 'mem_stop; rm -rf "$work"' EXIT

  # The kit: the carried binaries beside this script, else gpu/carry/.
  local kit="$HERE"
  [ -f "$kit/bins.tar.xz" ] || kit="$CARRY"
  if [ ! -f "$kit/bins.tar.xz" ]; then
    echo "no kit: run 'scripts/gpu-check.sh build' first (gpu/carry/bins.tar.xz is missing)" >&2
    exit 1
  fi
  python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$kit/bins.tar.xz" "$work"
  local tch="$work/bin/tune_cnn_tch" burn="$work/bin/tune_cnn_burn"
  cp "$kit/build.json" "$OUT/parts/build.json" 2>/dev/null || true

  # The machine: GPU (nvidia-smi), torch's libtorch and CUDA (the machine's own python3),
  # written to host.json; its three lines on stdout: libtorch's folder, 1 if torch sees
  # CUDA, and why the CUDA parts cannot run.
  local host=()
  mapfile -t host < <(python3 - "$OUT/parts/host.json" <<'EOF' || true
import json, os, platform, shutil, subprocess, sys
host = {"hostname": platform.node(), "cpus": os.cpu_count(), "gpu": None, "torch": None}
if shutil.which("nvidia-smi"):
    q = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
                       capture_output=True, text=True)
    head = subprocess.run(["nvidia-smi"], capture_output=True, text=True).stdout
    cuda = next((l.split("CUDA Version:")[1].split()[0] for l in head.splitlines() if "CUDA Version:" in l), None)
    if q.returncode == 0 and q.stdout.strip():
        name, driver, mem = [x.strip() for x in q.stdout.strip().splitlines()[0].split(",")]
        host["gpu"] = {"name": name, "driver": driver, "memory": mem, "cuda_driver_version": cuda}
    else:
        host["gpu_error"] = (q.stderr or q.stdout).strip()[:300]
else:
    host["gpu_error"] = "nvidia-smi not found"
try:
    import torch
    host["torch"] = {"version": torch.__version__, "cuda": torch.version.cuda, "cuda_available": torch.cuda.is_available(),
                     "lib": os.path.join(os.path.dirname(torch.__file__), "lib")}
    if torch.cuda.is_available():
        host["torch"]["device"] = torch.cuda.get_device_name(0)
except Exception as e:  # reported, not fatal: the tch parts are then skipped
    host["torch_error"] = f"{type(e).__name__}: {e}"
json.dump(host, open(sys.argv[1], "w"), indent=2)
t = host["torch"]
print(t["lib"] if t else "")
print(int(bool(t and t["cuda_available"])))
why = [host["gpu_error"]] if host.get("gpu_error") else []
why.append("torch %s sees no CUDA device" % t["version"] if t else host.get("torch_error", "no torch"))
print("; ".join(why))
EOF
  )
  local torch_lib=${host[0]:-} cuda_ok=${host[1]:-0} no_cuda_reason=${host[2]:-no CUDA device}

  # Sizes: the full check fits its time boxes on an H100; --smoke is 2 trials of 1 epoch.
  local trials=30 epochs=6 data=(--data digits28 --images 12000) speed_epochs=2 jobs_trials=8 jobs_epochs=3
  local burn_trials=6 burn_epochs=3 burn_data=(--data digits28 --images 6000)
  local box_study=100 box_hb=80 box_speed_gpu=30 box_speed_cpu=60 box_jobs=30 box_burn=150
  if [ "$smoke" = 1 ]; then
    trials=2 epochs=1 data=(--data digits) speed_epochs=1 jobs_trials=2 jobs_epochs=1
    burn_trials=2 burn_epochs=1 burn_data=(--data digits)
    box_study=60 box_hb=60 box_speed_gpu=60 box_speed_cpu=60 box_jobs=60 box_burn=120
  fi
  # Every tch invocation: libtorch from torch, a fresh SQLite file, no progress bar, one
  # summary file. run_tch NAME BOX ARGS...
  run_tch() {
    local name=$1 box=$2
    shift 2
    run_part "$name" "$box" env "LD_LIBRARY_PATH=$torch_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
      "$tch" --quiet --storage "$work/$name.db" --summary "$OUT/parts/$name.json" "$@"
  }

  # (1) tch.
  if [ -z "$torch_lib" ]; then
    for p in tch-none tch-hyperband tch-speed-cuda tch-speed-cpu tch-jobs-1 tch-jobs-2 tch-jobs-4; do skip_part "$p" "$no_cuda_reason"; done
  else
    if [ "$cuda_ok" = 1 ]; then
      run_tch tch-none "$box_study" --device cuda --pruner none --trials "$trials" --epochs "$epochs" --jobs 2 "${data[@]}" --timeout $((box_study - 15))
      run_tch tch-hyperband "$box_hb" --device cuda --pruner hyperband --trials "$trials" --epochs "$epochs" --jobs 2 "${data[@]}" --timeout $((box_hb - 15))
      # Speed per epoch: the same first trial (same seed, same hyperparameters) on each.
      run_tch tch-speed-cuda "$box_speed_gpu" --device cuda --pruner none --trials 1 --epochs "$speed_epochs" --jobs 1 "${data[@]}"
    else
      for p in tch-none tch-hyperband tch-speed-cuda; do skip_part "$p" "$no_cuda_reason"; done
    fi
    run_tch tch-speed-cpu "$box_speed_cpu" --device cpu --threads "$(nproc)" --pruner none --trials 1 --epochs "$speed_epochs" --jobs 1 "${data[@]}"
    for j in 1 2 4; do
      if [ "$cuda_ok" = 1 ]; then
        mem_start "tch-jobs-$j"
        run_tch "tch-jobs-$j" "$box_jobs" --device cuda --pruner none --trials "$jobs_trials" --epochs "$jobs_epochs" --jobs "$j" "${data[@]}" --timeout $((box_jobs - 10))
        mem_stop
      else
        skip_part "tch-jobs-$j" "$no_cuda_reason"
      fi
    done
  fi

  # (2) Burn on CUDA: the probe says whether the device works; the autotune cache of an
  # earlier run (carried) is restored first, and this run's cache is sent back.
  local probe_rc=0
  "$burn" --probe >"$OUT/parts/burn-probe.json" 2>"$OUT/parts/burn-probe.log" || probe_rc=$?
  if [ "$probe_rc" != 0 ]; then
    skip_part burn-cuda "$(python3 -c '
import json, sys
lines = [l for l in open(sys.argv[1]) if l.startswith("{")]  # the JSON line, past any log line
print(json.loads(lines[-1]).get("error", "probe failed"))' "$OUT/parts/burn-probe.json" 2>/dev/null || echo "the Burn CUDA probe failed (exit $probe_rc)")"
  else
    export XDG_CACHE_HOME="$work/cache"
    mkdir -p "$XDG_CACHE_HOME"
    if [ -f "$kit/cubecl-cache.tar.gz" ]; then
      tar xzf "$kit/cubecl-cache.tar.gz" -C "$XDG_CACHE_HOME" && echo carried >"$OUT/parts/burn-cuda.cache"
    fi
    (cd "$work" && run_part burn-cuda "$box_burn" "$burn" --quiet --storage "$work/burn.db" --summary "$OUT/parts/burn-cuda.json" \
      --trials "$burn_trials" --epochs "$burn_epochs" --jobs 1 "${burn_data[@]}" --timeout $((box_burn - 40)))
    if [ -d "$XDG_CACHE_HOME/cubecl" ]; then
      tar czf "$OUT/cubecl-cache.tar.gz" -C "$XDG_CACHE_HOME" cubecl
    fi
  fi

  python3 "$HERE/gpu_report.py" "$OUT" --smoke "$smoke" --seconds $((SECONDS - started))
  log "report: $OUT/gpu-report.md, $OUT/gpu-report.json ($((SECONDS - started)) s)"
}

case "${1:-}" in
  build) build ;;
  run) shift; run "$@" ;;
  *) echo "usage: $0 build | run [--smoke]" >&2; exit 2 ;;
esac
