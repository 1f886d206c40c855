#!/usr/bin/env bash
# minicrm benchmark (not part of `cargo test`): builds the release binary, makes a demo database
# of N customers (default 100,000) in a temporary directory, serves it on a free port and prints
# p50/p95/p99 and the slowest request per route at 2, 8 and 32 concurrent clients, write
# latency at 2 and 8, peak resident memory and start-up time (see bench.py).
#
#   tests/bench/bench.sh [N] [more options of bench.py, e.g. --requests 600 --db /tmp/big.db]
#
# With --db PATH an existing database is reused (and made if missing; the run measures a copy, so
# the file stays as it was): demo data for N = 1,000,000
# takes minutes, so make it once and measure many times.
set -euo pipefail
cd "$(dirname "$0")/../.."
N="${1:-100000}"
shift || true
cargo build --release --quiet
exec python3 tests/bench/bench.py --bin target/release/minicrm --customers "$N" "$@"
