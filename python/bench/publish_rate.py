#!/usr/bin/env python3
"""How fast Python publishes pod records with `Publisher.publish` (BENCHMARKS.md, run 19).

    python python/bench/publish_rate.py [--records N] [--rounds R] [--core C]

A channel is created with the schema of the Rust fixture's channel (`every-field fill`, built
with cargo as `reader_rate.py` builds it), then Python publishes N `Tick` records (48 bytes:
integers of every width, floats, an array of four `f32`) from a field dict, R rounds, pinned to
one core: from Python values, and from the NumPy scalars and array of a `batch_numpy` row.
It prints the median and interquartile range over rounds of each rate.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

import bcast
from reader_rate import fixture


def rate(pub: bcast.Publisher, fields: dict, records: int) -> float:
    start = time.perf_counter()
    for _ in range(records):
        pub.publish("Tick", fields)
    return records / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--core", type=int, default=0)
    args = parser.parse_args()
    os.sched_setaffinity(0, {args.core})
    tag = f"{os.getpid()}-{int(time.time())}"
    source, path = f"/dev/shm/bcast-pub-{tag}-source", f"/dev/shm/bcast-pub-{tag}"
    try:
        subprocess.run([str(fixture()), "fill", source, "1"], check=True,
                       stdout=subprocess.DEVNULL)
        pub = bcast.create(path, 1 << 20, schema_from=source)
        python = {"seq": 1, "price": 101.5, "qty": 7, "side": -1, "flags": 3, "venue": 12,
                  "levels": [1.0, 2.0, 3.0, 4.0], "delta": -5}
        pub.publish("Tick", python)
        row = bcast.attach(path, start="first").batch_numpy("Tick")[0]
        numpy = {name: row[name] for name in row.dtype.names}
        cases: dict[str, list[float]] = {}
        refused: dict[str, str] = {}
        for _ in range(args.rounds):
            for name, fields in (("from Python values", python), ("from NumPy values", numpy)):
                try:
                    cases.setdefault(name, []).append(rate(pub, fields, args.records))
                except bcast.SchemaError as error:  # a build that takes no NumPy values
                    refused[name] = str(error)
                    cases.pop(name, None)
        print(f"# {args.records} Ticks per round, {args.rounds} rounds, core {args.core}, "
              f"Python {sys.version.split()[0]}")
        print(f"{'case':<24} {'median/s':>12} {'q1':>12} {'q3':>12}")
        for name, rates in cases.items():
            q1, _, q3 = statistics.quantiles(rates, n=4) if len(rates) > 1 else rates * 3
            print(f"{name:<24} {statistics.median(rates):>12,.0f} {q1:>12,.0f} {q3:>12,.0f}")
        for name, why in refused.items():
            print(f"{name:<24} refused: {why}")
    finally:
        for made in (source, path):
            try:
                bcast.remove(made)  # and its lock file
            except bcast.BcastError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
