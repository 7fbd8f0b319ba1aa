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

step "build the binaries the end-to-end tests start"
cargo build --locked -p connect-server -p connect-cli -p connect-ffi

step "cargo nextest"
cargo nextest run --workspace --locked --no-fail-fast

if [ -x scripts/kotlin-tests.sh ]; then
  step "Kotlin binding tests on the JVM"
  scripts/kotlin-tests.sh
fi

step "all checks passed"
