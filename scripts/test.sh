#!/usr/bin/env bash
# The whole test suite, on a fresh machine with only the Rust toolchain and Python.
# Installs what the tests need first, then runs every test (unit, integration,
# compile-fail, doctests) and checks that bo-core builds with no default features.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo nextest --version >/dev/null 2>&1; then
  echo "== installing cargo-nextest" >&2
  cargo install cargo-nextest --locked
fi

# bo-server's browser tests drive headless Chromium (Debian's package).
if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing chromium (bo-server dashboard tests)" >&2
  apt-get update && apt-get install -y --no-install-recommends chromium
fi

# bo-tch builds against the libtorch of PyTorch 2.11.0's pip wheel (tch 0.24 accepts no
# other version); CPU-only tests need it too. Installed once, then found by tch's build.
TORCH_VERSION=2.11.0
if ! python3 -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '$TORCH_VERSION')" 2>/dev/null; then
  echo "== installing torch==$TORCH_VERSION (pip, ~2.5 GB)" >&2
  python3 -m pip install "torch==$TORCH_VERSION"
fi
export LIBTORCH_USE_PYTORCH=1

# Every feature of every workspace member, as --all-features would, except those named in
# SKIP_FEATURES: example-tune-cnn-burn/cuda compiles Burn's CUDA stack (~10 min) and needs
# a GPU to run. One feature set for both commands, so nothing is built twice.
SKIP_FEATURES="example-tune-cnn-burn/cuda"
FEATURES=$(cargo metadata --no-deps --format-version 1 | python3 -c '
import json, sys
skip = set(sys.argv[1].split())
names = ("%s/%s" % (p["name"], f) for p in json.load(sys.stdin)["packages"] for f in p["features"])
print(",".join(n for n in names if n not in skip))
' "$SKIP_FEATURES")

# A throwaway PostgreSQL server (installed from Debian if missing) for the PostgreSQL tests,
# which read BO_TEST_POSTGRES_URL; stopped and deleted at exit.
source scripts/with-postgres.sh
trap bo_postgres_stop EXIT
bo_postgres_start

echo "== cargo nextest (workspace, all features but $SKIP_FEATURES)" >&2
cargo nextest run --workspace --features "$FEATURES" --no-fail-fast
echo "== doctests" >&2
cargo test --workspace --features "$FEATURES" --doc
echo "== bo-core without default features" >&2
cargo check -p bo-core --no-default-features
echo "== all tests passed" >&2
