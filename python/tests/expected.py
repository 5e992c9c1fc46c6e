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


# `every-field keyed`: message i of Reading, Label and Beat, published in that order (channel
# sequence numbers 3i, 3i + 1 and 3i + 2). The first EARLY messages each have a key of their
# own; later ones cycle through SENSORS sensors and NAMES names.
SENSORS, NAMES, EARLY = 10, 7, 50


def reading(i: int) -> dict:
    return {"sensor": 100 + i if i < EARLY else i % SENSORS, "n": i, "value": i / 4.0}


def label(i: int) -> dict:
    return {"name": f"early {i}" if i < EARLY else f"L{i % NAMES}", "n": i, "text": f"label {i}"}


def latest(end: int) -> list[tuple[int, str, dict]]:
    """Each key's latest keyed message published before sequence number `end`, in the order
    published: (sequence number, type name, fields)."""
    readings: dict[int, int] = {}
    labels: dict[str, int] = {}
    for i in range((end + 2) // 3):
        readings[reading(i)["sensor"]] = i
        if 3 * i + 1 < end:
            labels[label(i)["name"]] = i
    messages = [(3 * i, "Reading", reading(i)) for i in readings.values()]
    messages += [(3 * i + 1, "Label", label(i)) for i in labels.values()]
    return sorted(messages, key=lambda message: message[0])


def plant(seq: int) -> tuple[str, dict]:
    """The type name and fields of the message numbered `seq`."""
    i, kind = divmod(seq, 3)
    return [("Reading", reading(i)), ("Label", label(i)), ("Beat", {"n": i})][kind]
