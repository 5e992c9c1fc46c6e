#!/usr/bin/env python3
"""Print the bench CSV files as Markdown tables, for BENCHMARKS.md.

    python3 bench-compare/report.py                 # reads target/bench-out/
    python3 bench-compare/report.py --data DIR

The tables in BENCHMARKS.md are pasted from this output, so that no figure is typed by hand.
"""

import argparse
import csv
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# (file stem, heading) in the order BENCHMARKS.md uses them.
TABLES = [
    ("rtt_latency", "Round trip, two threads: percentiles (ns)"),
    ("rtt_ratio", "Round trip, two threads: paired ratio ours / theirs"),
    ("rtt_floor", "Round trip, two threads: paired ratio to the one-line floor"),
    ("rtt_ipc_latency", "Round trip, two processes: percentiles (ns)"),
    ("rtt_ipc_ratio", "Round trip, two processes: paired ratio ours / theirs"),
    ("rtt_ipc_floor", "Round trip, two processes: paired ratio to the one-line floor"),
    ("throughput", "Throughput: medians over rounds"),
    ("throughput_ratio", "Throughput: paired ratio ours / theirs of messages/s"),
    ("fanout", "Fan-out: writer cost and reader one-way latency (ns)"),
    ("fanout_ratio", "Fan-out: paired ratio ours / theirs"),
]


def markdown(path):
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    numeric = [all(_is_number(r[i]) for r in body) for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join("---:" if n else "---" for n in numeric) + "|")
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines)


def _is_number(cell):
    """Numbers, percentages, "-" (not applicable) and IQR ranges like "0.93-0.97"."""
    return cell == "-" or re.fullmatch(r"[0-9.]+%?(-[0-9.]+)?", cell) is not None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "target" / "bench-out")
    args = parser.parse_args()
    for stem, heading in TABLES:
        path = args.data / f"{stem}.csv"
        if path.exists():
            print(f"#### {heading}\n\n{markdown(path)}\n")


if __name__ == "__main__":
    main()
