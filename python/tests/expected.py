"""The values the Rust fixture (fixtures/src/bin/every_field.rs) publishes, by the same
formulas: message i of each type is a function of i alone."""

import struct


def f32(x: float) -> float:
    """x rounded to the nearest f32, as Rust's `as f32` rounds it."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def everything(i: int) -> dict:
    n = i % 1000
    return {
        "flag": i % 2 == 0,
        "letter": chr(0x3B1 + n % 24),
        "small": i % 256,
        "medium": -n,
        "word": n * 1000,
        "big": -i * 1_000_000_007,
        "huge": 2**128 - 1 - i,
        "negative": -(2**127) + i,
        "single": f32(n + 0.5),
        "double": i / 4.0,
        "text": f"message {i} ✓",
        "boxed": "boxed" * (i % 3),
        "numbers": list(range(n % 5)),
        "bytes": [i % 256] * (i % 4),
        "fixed": [n, 2, 3],
        "tuple": (i % 7, f"t{i}"),
        "maybe": float(i) if i % 2 == 1 else None,
        "nothing": None,
        "map": {f"k{k}": k * i for k in range(i % 3)},
        "set": frozenset({-n, 0, n}),
        "point": {"x": -n, "y": 1.5},
        "pair": (7, -7),
        "marker": None,
        "shapes": ["Dot", {"Circle": float(i)}, {"Rect": {"corner": {"x": 1, "y": 2.0}, "width": n}}],
    }


def tick(i: int) -> dict:
    return {
        "seq": i,
        "price": 100.0 + i / 8.0,
        "qty": (i * 3) % 2**32,
        "side": 1 if i % 2 == 0 else -1,
        "flags": i % 256,
        "venue": i % 65536,
        "levels": [f32(i), 0.25, -0.5, 1e6],
        "delta": -i,
    }
