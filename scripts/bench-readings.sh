#!/usr/bin/env bash
# The "Meter readings ingest" benchmark of docs/BENCHMARKS.md: a step search of offered rates, each
# held for $DURATION seconds (default 60) against a freshly spawned release server, on SQLite and on
# PostgreSQL, with the raw insert rate of the same database measured after each step. Prints the
# one-line summary of every step; the highest rate with p99 <= 100 ms and errors=0 is the result.
#   SQLITE_RATES="8000 10000" PG_RATES="4000 6000" DURATION=60 scripts/bench-readings.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p connect-server -p connect-tests --bin loadgen --bin connect-server
duration=${DURATION:-60}
batch=${BATCH:-10}
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for backend in sqlite postgres; do
  if [ "$backend" = sqlite ]; then rates=${SQLITE_RATES:-8000 10000 12000 14000}; else rates=${PG_RATES:-4000 6000 8000 10000}; fi
  for rate in $rates; do
    target/release/loadgen --spawn "$backend" --residents 1000 --rate "$rate" --duration "$duration" \
      --batch "$batch" --raw 2>/dev/null | tail -1
    echo "  (load average after: $(cut -d' ' -f1-3 /proc/loadavg))"
  done
done
