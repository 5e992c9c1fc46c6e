#!/usr/bin/env bash
# Runs every comparison bench in full, keeps their stdout beside the CSV files, and redraws the
# latency plot. One to three minutes on the 2-core reference machine. Usage, from anywhere:
#
#   bench-compare/run_all.sh                  # BENCH_CORES=0,1 by default
#   BENCH_CORES=2,3 bench-compare/run_all.sh
#
# Output: target/bench-out/*.csv and *.txt, and bench-compare/rtt_percentiles.png.
set -euo pipefail
cd "$(dirname "$0")/.."
# Absolute, because each bench runs in its package's directory and writes its CSV files there.
out="$(realpath -m "${BENCH_OUT_DIR:-target/bench-out}")"
export BENCH_OUT_DIR="$out"
mkdir -p "$out"
cargo bench -p bench-compare --no-run
for bench in rtt rtt_ipc throughput fanout; do
  cargo bench -q -p bench-compare --bench "$bench" 2>&1 | tee "$out/$bench.txt"
done
python3 bench-compare/plot.py --data "$out"
