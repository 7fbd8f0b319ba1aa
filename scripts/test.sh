#!/usr/bin/env bash
# The one command that checks everything: formatting, clippy, the whole Rust test suite (unit, store
# conformance on SQLite and PostgreSQL, end-to-end against the real server binary) and the Kotlin
# binding tests on the JVM. Installs what it needs first (idempotent).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
start=$(date +%s)
step() { printf '\n==> %s (%ss)\n' "$1" "$(( $(date +%s) - start ))"; }

step "install dependencies"
scripts/install-deps.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
# The desktop till's webcam capture (nokhwa) is behind the CLI's `camera` feature: lint it too, so
# `connect scan --camera` and `connect partner redeem --camera` keep compiling.
cargo clippy -p connect-cli --features camera --all-targets --locked -- -D warnings

step "build the binaries the end-to-end and Kotlin tests start"
# Exactly the two builds scripts/kotlin-tests.sh makes, so it reuses them: every distinct package
# selection unifies features differently and costs a rebuild of the shared dependencies on CI.
cargo build --locked -p connect-server -p connect-cli
cargo build --locked -p connect-ffi --features test-support

step "cargo nextest"
cargo nextest run --workspace --locked --no-fail-fast

if [ -x scripts/kotlin-tests.sh ]; then
  step "Kotlin binding tests on the JVM"
  scripts/kotlin-tests.sh
fi

step "all checks passed"
