#!/usr/bin/env bash
# Runs every check CI runs: formatting, clippy, the generated-CRD check and all tests,
# from one build. Cargo's target dir is kept outside the clone so CI does not rebuild the
# AWS/Kubernetes dependency tree every time (override with CARGO_TARGET_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fargate-operator/target}"
export CARGO_TERM_COLOR=never
# CI builds from a fresh clone: incremental state would only fill the cache.
export CARGO_INCREMENTAL=0

# The Python tools the tests use (moto, Helm's engine, Kubernetes schemas, Lua); made once
# from scripts/requirements.txt.
FGO_VENV="$(bash scripts/venv.sh)"
export FGO_VENV

cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked --all-targets

# The chart (Helm v4 engine), deploy/ (kustomize, Argo CD health Lua), the Docker build
# context, and the IAM policy, which tests/python/test_iam_recorded.py checks against the
# requests of the binary that `cargo test` just built. That binary is copied aside first:
# tests/python/test_docker_build.py rebuilds target/debug/fargate-operator from a copy of the
# build context.
export FGO_BIN="$CARGO_TARGET_DIR/fargate-operator-under-test"
cp "$CARGO_TARGET_DIR/debug/fargate-operator" "$FGO_BIN"
"$FGO_VENV/bin/python" -m unittest discover -s tests/python -t tests/python
