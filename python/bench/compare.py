#!/usr/bin/env python3
"""Two builds of the package side by side: the reader's rates in each, in alternate turns
(BENCHMARKS.md, "Run 20").

    python python/bench/compare.py BEFORE_PYTHON AFTER_PYTHON [--pairs N] [--turns T] [--core C]

BEFORE_PYTHON and AFTER_PYTHON are the interpreters of two virtual environments, each with a
build of the package (`pip install ./python numpy` at each commit). This script makes the
channels once, with whichever `bcast` it imports: N (100 000) pairs of the Rust fixture's
`Everything` and `Tick` (`every-field fill`), and N `Tick`s alone. Then, T times, each
interpreter in turn measures, in a process of its own pinned to core C, the median of five
`batch_numpy` reads of the `Tick`s among the `Everything`s and alone, of five `raw=True` reads,
and of two decoded reads (the functions of `reader_rate.py`). It prints each turn's medians,
then the median over turns and the ratio after / before.
"""

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from reader_rate import channels  # noqa: E402

# Run by each interpreter: one turn's medians, as JSON.
TURN = """
import json, os, statistics, sys
sys.path.insert(0, {here!r})
from reader_rate import decoded, numpy_rate, raw
os.sched_setaffinity(0, {{{core}}})
mixed, ticks, n = {mixed!r}, {ticks!r}, {n}
print(json.dumps({{
    "numpy among others": statistics.median(numpy_rate(mixed, n, 65536) for _ in range(5)),
    "numpy alone": statistics.median(numpy_rate(ticks, n, 65536) for _ in range(5)),
    "raw": statistics.median(raw(mixed, n) for _ in range(5)),
    "decoded": statistics.median(decoded(mixed, n)["all"] for _ in range(2)),
}}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", help="the Python of the environment with the earlier build")
    parser.add_argument("after", help="the Python of the environment with the later build")
    parser.add_argument("--pairs", type=int, default=100_000,
                        help="messages of each type in the mixed channel, and Ticks alone")
    parser.add_argument("--turns", type=int, default=6)
    parser.add_argument("--core", type=int, default=1)
    args = parser.parse_args()
    n = args.pairs
    with channels(n, "compare") as (mixed, ticks):
        code = TURN.format(here=str(HERE), core=args.core, mixed=mixed, ticks=ticks, n=n)
        turns: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
        for turn in range(args.turns):
            for name in ("before", "after"):
                python = getattr(args, name)
                out = subprocess.run([python, "-c", code], check=True, capture_output=True,
                                     text=True).stdout
                turns[name].append(json.loads(out))
                rates = ", ".join(f"{case} {rate:,.0f}" for case, rate in turns[name][-1].items())
                print(f"turn {turn + 1} {name}: {rates}", flush=True)
        print(f"{'case':<20} {'before/s':>14} {'after/s':>14} {'after/before':>13}")
        for case in turns["before"][0]:
            before = statistics.median(t[case] for t in turns["before"])
            after = statistics.median(t[case] for t in turns["after"])
            print(f"{case:<20} {before:>14,.0f} {after:>14,.0f} {after / before:>13.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
