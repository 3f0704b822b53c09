#!/usr/bin/env bash
# Side-by-side benchmark: Optuna 5.0 (in-process) and `bo bench` (JSON lines) on the same
# problems, seeds, noise streams and budgets, in one run, through ../shared/bench.
#
#   bench/side-by-side.sh [regret|overhead|prune|all]    (default: all)
#
# Samplers: SAMPLERS="tpe cmaes" (default tpe); PROBLEMS, SEEDS, TRIALS likewise. The pruning
# criterion needs many seeds to rise above the noise: SEEDS=200 bench/side-by-side.sh prune.
# Needs: python3 with optuna==5.0.0 numpy scipy cmaes rustuna
#   (pip install optuna==5.0.0 cmaes scipy rustuna). Rustuna, the Optuna team's Rust TPE, runs
#   through the same JSON-lines harness (bench/rustuna_jsonl.py) for the overhead and regret runs.
# Results: bench-results/{optuna,bo,rustuna}/*.json, bench-results/compare.md (report.py tables)
#   and bench-results/prune-compare.md (bench/prune_compare.py).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH=${BENCH_DIR:-$ROOT/../shared/bench}
OUT=${OUT_DIR:-$ROOT/bench-results}
SEEDS=${SEEDS:-10}
TRIALS=${TRIALS:-100}
PROBLEMS=${PROBLEMS:-branin,hartmann6,hartmann6-noisy,rosenbrock5,styblinski8,ackley10,levy10,hpo-mixed}
SAMPLERS=${SAMPLERS:-tpe}
PRUNERS=${PRUNERS:-none median hyperband}
export BENCH_THREADS=1

cargo build --release -p bo-cli
BO="$ROOT/target/release/bo bench"
mkdir -p "$OUT/optuna" "$OUT/bo" "$OUT/rustuna"
RUSTUNA="python3 $ROOT/bench/rustuna_jsonl.py"
PY="python3 $BENCH/optuna_baseline.py"
cd "$BENCH"

# Rustuna has TPE and random search only; other samplers run for Optuna and bo alone.
rustuna_has() { case "$1" in tpe|tpe-indep|random) return 0 ;; *) return 1 ;; esac; }

regret() {
  for s in $SAMPLERS; do
    $PY regret --sampler "$s" --problem "$PROBLEMS" --trials "$TRIALS" --seeds "$SEEDS" \
      --out "$OUT/optuna/regret_{sampler}_{problem}.json"
    $PY regret --optimizer jsonl --cmd "$BO" --label bo --sampler "$s" --problem "$PROBLEMS" \
      --trials "$TRIALS" --seeds "$SEEDS" --out "$OUT/bo/regret_{sampler}_{problem}.json"
    if rustuna_has "$s"; then
      $PY regret --optimizer jsonl --cmd "$RUSTUNA" --label rustuna --sampler "$s" --problem "$PROBLEMS" \
        --trials "$TRIALS" --seeds "$SEEDS" --out "$OUT/rustuna/regret_{sampler}_{problem}.json"
    fi
  done
}

overhead() {
  for s in $SAMPLERS; do
    taskset -c 0 $PY overhead --sampler "$s" --dims 10 --trials 1000 --seeds 3 \
      --out "$OUT/optuna/overhead_{sampler}_d{dims}_n1000.json"
    taskset -c 0 $PY overhead --optimizer jsonl --cmd "$BO" --label bo --sampler "$s" --dims 10 \
      --trials 1000 --seeds 3 --out "$OUT/bo/overhead_{sampler}_d{dims}_n1000.json"
    if rustuna_has "$s"; then
      taskset -c 0 $PY overhead --optimizer jsonl --cmd "$RUSTUNA" --label rustuna --sampler "$s" --dims 10 \
        --trials 1000 --seeds 3 --out "$OUT/rustuna/overhead_{sampler}_d{dims}_n1000.json"
    fi
  done
}

prune() {
  for p in $PRUNERS; do
    $PY prune --pruner "$p" --sampler tpe --problem lc-hpo-mixed,lc-hartmann6 --trials 100 \
      --seeds "$SEEDS" --out "$OUT/optuna/prune_{pruner}_{sampler}_{problem}.json"
    $PY prune --optimizer jsonl --cmd "$BO" --label bo --pruner "$p" --sampler tpe \
      --problem lc-hpo-mixed,lc-hartmann6 --trials 100 --seeds "$SEEDS" \
      --out "$OUT/bo/prune_{pruner}_{sampler}_{problem}.json"
  done
  # Steps and regret with the seed noise in view (bootstrap), and the steps bo needs to reach
  # Optuna's final median regret.
  python3 "$ROOT/bench/prune_compare.py" "$OUT/optuna" "$OUT/bo" > "$OUT/prune-compare.md"
}

case "${1:-all}" in
  regret) regret ;;
  overhead) overhead ;;
  prune) prune ;;
  all) overhead; regret; prune ;;
  *) echo "usage: $0 [regret|overhead|prune|all]" >&2; exit 2 ;;
esac

python3 "$BENCH/report.py" --results "$OUT/optuna" "$OUT/bo" "$OUT/rustuna" --ext "" --notes "" \
  --title "bo vs Optuna 5.0, side by side" --out "$OUT/compare.md"
