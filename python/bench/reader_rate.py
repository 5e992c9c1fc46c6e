#!/usr/bin/env python3
"""How fast Python reads a channel: messages/s per type, decoded one at a time, and pod
records/s in NumPy batches (BENCHMARKS.md, "Run 18").

    python python/bench/reader_rate.py [--pairs N] [--rounds R] [--core C]

The Rust fixture (`fixtures/src/bin/every_field.rs`, built with cargo) publishes N messages of
each of its two types, alternating, into a ring large enough to hold them all: `Everything`,
an rkyv archive of 24 fields of every kind (strings, vectors, maps, sets, enums, 128-bit
integers), and `Tick`, a 48-byte pod record. Python then reads them from the ring's start,
pinned to one core, in every way in turn, for R interleaved rounds:

- `decoded`: `recv` one message at a time, decoded into Python values; each call is timed,
  and its time counted for its message's type;
- `raw`: the same frames attached with `raw=True` (bytes only): what reading alone costs;
- `numpy B`: `batch_numpy("Tick", max=B)` until the Ticks are read (the Everything frames
  between them are passed over), for B = 1 024 and 65 536;
- `numpy ticks-only`: the same on a channel of Ticks alone, published from Python.

It prints the median and interquartile range over rounds of each rate.
"""

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import bcast

REPO = Path(__file__).resolve().parents[2]


def fixture() -> Path:
    given = os.environ.get("BCAST_EVERY_FIELD")
    if given:
        return Path(given)
    built = subprocess.run(
        ["cargo", "build", "--quiet", "--release", "-p", "bcast-fixtures", "--bin",
         "every-field", "--message-format=json"],
        cwd=REPO, check=True, capture_output=True, text=True)
    for line in built.stdout.splitlines():
        message = json.loads(line)
        if message.get("reason") == "compiler-artifact" and message.get("executable"):
            return Path(message["executable"])
    raise RuntimeError("no every-field executable")


def decoded(path: str, pairs: int) -> dict:
    sub = bcast.attach(path, start="first", timeout=0)
    spent = {"Everything": 0, "Tick": 0}
    clock = time.perf_counter_ns
    start = clock()
    for _ in range(2 * pairs):
        before = clock()
        msg = sub.try_recv()
        assert msg is not None and msg.type is not None
        spent[msg.type] += clock() - before
    total = clock() - start
    rates = {name: pairs / (ns / 1e9) for name, ns in spent.items()}
    rates["all"] = 2 * pairs / (total / 1e9)
    return rates


def raw(path: str, pairs: int) -> float:
    sub = bcast.attach(path, start="first", raw=True, timeout=0)
    start = time.perf_counter()
    for _ in sub:
        pass
    return 2 * pairs / (time.perf_counter() - start)


def numpy_rate(path: str, records: int, batch: int) -> float:
    sub = bcast.attach(path, start="first")
    read = 0
    start = time.perf_counter()
    while read < records:
        got = len(sub.batch_numpy("Tick", max=batch))
        if got == 0:
            raise RuntimeError(f"the channel held {read} Ticks, not {records}")
        read += got
    return records / (time.perf_counter() - start)


@contextlib.contextmanager
def channels(pairs: int, name: str) -> Iterator[tuple[str, str]]:
    """Makes the two channels the cases read, under /dev/shm, and removes them after: `pairs`
    pairs of the fixture's `Everything` and `Tick` (`every-field fill`), and `pairs` `Tick`s
    alone, published from Python."""
    tag = f"{os.getpid()}-{int(time.time())}"
    mixed, ticks = f"/dev/shm/bcast-{name}-{tag}", f"/dev/shm/bcast-{name}-{tag}-ticks"
    try:
        subprocess.run([str(fixture()), "fill", mixed, str(pairs)], check=True,
                       stdout=subprocess.DEVNULL)
        pub = bcast.create(ticks, pairs * 128, schema_from=mixed)
        for i in range(pairs):
            pub.publish("Tick", {"seq": i, "price": 1.0, "qty": 1, "side": 1, "flags": 0,
                                 "venue": 0, "levels": [0.0] * 4, "delta": 0})
        yield mixed, ticks
    finally:
        for path in (mixed, ticks):
            try:
                bcast.remove(path)
            except bcast.BcastError:
                pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--core", type=int, default=0)
    args = parser.parse_args()
    os.sched_setaffinity(0, {args.core})
    with channels(args.pairs, "rate") as (mixed, ticks):
        cases: dict[str, list[float]] = {}
        for _ in range(args.rounds):
            for name, rate in decoded(mixed, args.pairs).items():
                cases.setdefault(f"decoded {name}", []).append(rate)
            cases.setdefault("raw (bytes only)", []).append(raw(mixed, args.pairs))
            for batch in (1024, 65536):
                cases.setdefault(f"numpy Tick, max={batch}", []).append(
                    numpy_rate(mixed, args.pairs, batch))
            cases.setdefault("numpy ticks-only, max=65536", []).append(
                numpy_rate(ticks, args.pairs, 65536))
        print(f"# {args.pairs} messages of each type, {args.rounds} rounds, core {args.core}, "
              f"Python {sys.version.split()[0]}")
        print(f"{'case':<32} {'median/s':>14} {'q1':>14} {'q3':>14}")
        for name, rates in cases.items():
            q1, _, q3 = statistics.quantiles(rates, n=4) if len(rates) > 1 else rates * 3
            print(f"{name:<32} {statistics.median(rates):>14,.0f} {q1:>14,.0f} {q3:>14,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
