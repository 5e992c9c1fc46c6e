#!/usr/bin/env python3
"""Prints a live bcast channel (or a recording), decoded, with each type's rate.

    python examples/tail.py /dev/shm/md
    python examples/tail.py /dev/shm/md --numpy Trade   # pod batches, columns
    python examples/tail.py RECORDING_DIR --count 20
    python examples/tail.py /dev/shm/plant --snapshot  # each key's latest first, then live

Every second it prints a line of messages/s per type; losses are reported as they happen.
"""

import argparse
import os
import sys
import time
from collections import Counter
from typing import Literal

import bcast


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="a channel file (e.g. /dev/shm/feed) or a recording directory")
    parser.add_argument("--numpy", metavar="TYPE", help="read the pod type TYPE in NumPy batches")
    parser.add_argument("--count", type=int, help="exit after printing COUNT messages")
    parser.add_argument("--timeout", type=float, help="exit after SECS without a message")
    parser.add_argument("--quiet", action="store_true", help="print the rates only")
    parser.add_argument("--snapshot", action="store_true",
                        help="first print each key's latest message (from the channel's "
                             "last-value table), then what is published after them")
    args = parser.parse_args()

    # A channel's whole ring, or its snapshot and what comes after; a recording from its start.
    start: Literal["oldest"] | None = "oldest"
    if os.path.isdir(args.path) or args.snapshot:
        start = None
    try:
        sub = bcast.attach(args.path, start=start)
        snapshot = sub.snapshot() if args.snapshot else []
    except (bcast.BcastError, ValueError) as error:
        print(f"tail.py: {error}", file=sys.stderr)
        return 1
    kind = "typed" if sub.typed else "raw"
    print(f"# {args.path}: {kind} channel, types {sub.types or '-'}", flush=True)
    if args.snapshot:
        print(f"# snapshot: the latest message of {len(snapshot)} keys", flush=True)
        for kept in snapshot:
            print(f"{kept.seq:>8} {kept.type}: {kept.fields}")
        print("# live", flush=True)

    counts: Counter[str] = Counter()
    printed = 0
    last_message = last_report = time.monotonic()
    while args.count is None or printed < args.count:
        try:
            if args.numpy:
                batch = sub.batch_numpy(args.numpy, max=4096)
                got = len(batch)
                if got and not args.quiet:
                    print(f"{args.numpy} x{got}: last {batch[-1]}")
                counts[args.numpy] += got
            else:
                msg = sub.recv(timeout=0.1)
                got = msg is not None
                if msg is not None:
                    name = msg.type or f"tag {msg.tag}"
                    counts[name] += 1
                    if not args.quiet:
                        shown = msg.fields if sub.typed else msg.payload.hex()
                        print(f"{msg.seq:>8} {name}: {shown}")
        except bcast.Overrun as overrun:
            print(f"-- overrun: at least {overrun.lost} messages lost; resetting --")
            sub.reset()
            continue
        except bcast.DecodeError as error:
            print(f"-- {error} --")
            continue
        now = time.monotonic()
        if got:
            printed += got
            last_message = now
        elif args.numpy:
            time.sleep(0.001)
        if args.timeout is not None and now - last_message >= args.timeout:
            break
        if now - last_report >= 1.0:
            rates = ", ".join(f"{name} {n / (now - last_report):,.0f}/s" for name, n in counts.items())
            print(f"# rates: {rates or 'idle'}; lost so far {sub.stats()['lost']}", flush=True)
            counts.clear()
            last_report = now
    return 0


if __name__ == "__main__":
    sys.exit(main())
