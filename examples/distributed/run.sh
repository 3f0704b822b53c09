#!/usr/bin/env bash
# Runs a distributed study on this machine: a throwaway PostgreSQL server, `bo serve` when the
# `bo` binary has it, N worker processes (each its own trials, all one study), then the best trial.
#
#   examples/distributed/run.sh [WORKERS] [TRIALS_PER_WORKER]      (defaults: 4 workers x 10 trials)
#
# On a cluster, start the workers with your scheduler instead (README.md: Slurm, Kubernetes)
# and point them at one PostgreSQL server with --storage postgres://user:password@host:5432/db.
set -euo pipefail
cd "$(dirname "$0")/../.."
WORKERS=${1:-4}
TRIALS=${2:-10}
STUDY=${STUDY:-breast-cancer-mlp}
PROFILE=${PROFILE:-release}          # PROFILE=dev uses a debug build
BIN=target/$([[ $PROFILE == dev ]] && echo debug || echo "$PROFILE")

echo "== building the worker and the bo CLI ($PROFILE)" >&2
cargo build --profile "$PROFILE" -q -p example-distributed -p bo-cli

source scripts/with-postgres.sh
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  bo_postgres_stop
}
trap cleanup EXIT
bo_postgres_start            # sets BO_TEST_POSTGRES_URL (or uses the one you set)
export BO_STORAGE=$BO_TEST_POSTGRES_URL

if $BIN/bo --help 2>/dev/null | grep -qw serve; then
  # --no-auth: a local, single-user dashboard; see the README's Service section for tokens.
  echo "== bo serve (dashboard and HTTP API, no tokens) on http://127.0.0.1:8080/dashboard" >&2
  $BIN/bo serve --storage "$BO_STORAGE" --no-auth >/tmp/bo-serve.log 2>&1 &
  pids+=($!)
else
  echo "== this bo binary has no 'serve' command (bo-server not built in): no dashboard" >&2
fi

echo "== $WORKERS workers x $TRIALS trials on study '$STUDY'" >&2
workers=()
for i in $(seq 1 "$WORKERS"); do
  $BIN/bo-worker --study "$STUDY" --trials "$TRIALS" --heartbeat 2 --grace 30 &
  workers+=($!)
done
pids+=("${workers[@]}")
status=0
for pid in "${workers[@]}"; do wait "$pid" || status=1; done
[[ $status == 0 ]] || { echo "a worker failed" >&2; exit 1; }

echo "== the study" >&2
$BIN/bo studies
$BIN/bo best "$STUDY"
