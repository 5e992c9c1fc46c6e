#!/usr/bin/env python3
"""Plot round-trip latency percentile curves, ours vs bcast 1.0 (and 0.0.6), from bench output.

Reads the curve files the `rtt` and `rtt_ipc` benches write (`rtt_curve.csv`,
`rtt_ipc_curve.csv`, columns transport,size,impl,quantile,ns) and draws one panel per
configuration (transport x payload size): latency against percentile on the classic
HdrHistogram axis, where 90 %, 99 %, 99.9 % ... are evenly spaced.

    python3 bench-compare/plot.py                       # reads target/bench-out/
    python3 bench-compare/plot.py --data DIR --output bench-compare/rtt_percentiles.png

Needs matplotlib (`pip install matplotlib`).
"""

import argparse
import csv
import math
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (after choosing the backend)

ROOT = Path(__file__).resolve().parent.parent
FILES = ["rtt_curve.csv", "rtt_ipc_curve.csv"]
TITLES = {"heap": "threads, heap", "shm": "threads, /dev/shm", "shm-2proc": "processes, /dev/shm"}
STYLES = {
    "ours": dict(color="tab:blue", linestyle="-", linewidth=2.0),
    "bcast-1.0": dict(color="tab:orange", linestyle="--", linewidth=1.6),
    "bcast-0.0.6": dict(color="tab:gray", linestyle=":", linewidth=1.4),
    "iceoryx2": dict(color="tab:green", linestyle="-.", linewidth=1.6),
    "tokio": dict(color="tab:purple", linestyle="-.", linewidth=1.4),
    "floor-1line": dict(color="black", linestyle=":", linewidth=1.0),
    "floor-2line": dict(color="dimgray", linestyle=":", linewidth=1.0),
}
# Highest percentile drawn: beyond it a curve rests on a handful of samples.
MAX_NINES = 5.0


def nines(quantile):
    """Position on the percentile axis: 0 at p0, 1 at p90, 2 at p99, 3 at p99.9 ..."""
    return -math.log10(1.0 - quantile)


def load(data_dir):
    """{(transport, size): {impl: [(quantile, ns)]}} from every curve file present."""
    curves = defaultdict(lambda: defaultdict(list))
    for name in FILES:
        path = data_dir / name
        if not path.exists():
            continue
        with path.open(newline="") as f:
            for row in csv.DictReader(f):
                quantile = float(row["quantile"])
                if quantile >= 1.0 or nines(quantile) > MAX_NINES:
                    continue
                key = (row["transport"], int(row["size"]))
                curves[key][row["impl"]].append((quantile, int(row["ns"])))
    return curves


def plot(curves, output):
    order = [t for t in TITLES if any(k[0] == t for k in curves)]
    sizes = sorted({size for _, size in curves})
    fig, axes = plt.subplots(
        len(sizes), len(order), figsize=(4.6 * len(order), 3.6 * len(sizes)), squeeze=False
    )
    ticks = [0, 1, 2, 3, 4, 5]
    labels = ["p0", "p90", "p99", "p99.9", "p99.99", "p99.999"]
    for col, transport in enumerate(order):
        for row, size in enumerate(sizes):
            ax = axes[row][col]
            present = curves.get((transport, size), {})
            for impl in sorted(present, key=lambda i: list(STYLES).index(i) if i in STYLES else 99):
                points = sorted(present[impl])
                xs = [nines(q) for q, _ in points]
                ys = [ns for _, ns in points]
                ax.step(xs, ys, where="post", label=impl, **STYLES.get(impl, {}))
            ax.set_yscale("log")
            ax.set_xticks(ticks, labels)
            ax.set_xlim(0, MAX_NINES)
            ax.grid(True, which="both", alpha=0.3)
            ax.set_title(f"{TITLES[transport]}, {size} B")
            if col == 0:
                ax.set_ylabel("round trip (ns)")
            ax.legend(loc="upper left", fontsize=8)
    fig.suptitle("Round-trip latency by percentile (lower is better)")
    fig.tight_layout()
    fig.savefig(output, dpi=110)
    print(f"wrote {output}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "target" / "bench-out")
    parser.add_argument("--output", type=Path, default=ROOT / "bench-compare" / "rtt_percentiles.png")
    args = parser.parse_args()
    curves = load(args.data)
    if not curves:
        raise SystemExit(f"no curve files in {args.data}: run the rtt benches first")
    plot(curves, args.output)


if __name__ == "__main__":
    main()
