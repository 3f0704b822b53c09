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

# example-tune-cnn-burn's `cuda` feature would build Burn's CUDA stack (~10 min) under
# --all-features: that package is tested with its default (CPU) features instead.
echo "== cargo nextest (workspace, all features)" >&2
cargo nextest run --workspace --all-features --exclude example-tune-cnn-burn --no-fail-fast
echo "== cargo nextest (example-tune-cnn-burn, CPU)" >&2
cargo nextest run -p example-tune-cnn-burn --no-fail-fast
echo "== doctests" >&2
cargo test --workspace --all-features --exclude example-tune-cnn-burn --doc
echo "== bo-core without default features" >&2
cargo check -p bo-core --no-default-features
echo "== all tests passed" >&2
