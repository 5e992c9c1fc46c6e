"""Python feeding a typed Rust subscriber: pod records published from field dicts."""

import numbers
from types import MappingProxyType

import numpy as np
import pytest

import bcast
from expected import tick


def test_a_rust_subscriber_reads_what_python_publishes(shm, run, typed_channel):
    path = shm("from-python")
    pub = bcast.create(path, 1 << 16, schema_from=typed_channel)
    count = 50
    subscriber = run("subscribe", path, str(count), "30")
    subscriber.expect("ready")
    for i in range(count):
        pub.publish("Tick", tick(i))
    lines = subscriber.finish().splitlines()
    assert len(lines) == count
    for i, line in enumerate(lines):
        t = tick(i)
        expected = [t["seq"], t["price"], t["qty"], t["side"], t["flags"], t["venue"],
                    *t["levels"], t["delta"]]
        words = line.split()
        assert words[0] == "tick"
        assert [float(w) for w in words[1:]] == [float(x) for x in expected], line
    # And Python reads them back, decoded, with the type's tag and per-type numbering.
    sub = bcast.attach(path, start="first", timeout=0)
    assert [msg.fields for msg in sub] == [tick(i) for i in range(count)]
    assert sub.stats()["lost_by_type"] == {"Tick": 0}


def test_bad_fields_are_refused_by_name(shm, typed_channel):
    pub = bcast.create(shm(), 1 << 16, schema_from=typed_channel)
    good = tick(1)
    cases = [
        ({k: v for k, v in good.items() if k != "qty"}, "`Tick.qty` is missing"),
        ({**good, "extra": 1}, "no field 'extra'"),
        ({**good, "qty": -1}, "`Tick.qty` is a u32: -1 is out of its range"),
        ({**good, "qty": 2**32}, "`Tick.qty` is a u32: 4294967296 is out of its range"),
        ({**good, "qty": 1.5}, "`Tick.qty` takes an int, not float"),
        ({**good, "side": 128}, "`Tick.side` is a i8: 128 is out of its range"),
        ({**good, "side": -129}, "`Tick.side` is a i8: -129"),
        ({**good, "delta": -(2**63) - 1}, "`Tick.delta` is a i64"),
        ({**good, "seq": 2**200}, "`Tick.seq` is a u64"),
        ({**good, "price": 10**400}, r"`Tick.price` is an f64: 1000000000.*\(401 digits"),
        ({**good, "levels": [1e300, 0.0, 0.0, 0.0]},
         r"`Tick.levels\[0\]` is an f32: 1e\+300 is out of its range"),
        ({**good, "qty": True}, "`Tick.qty` takes an int, not bool"),
        ({**good, "price": False}, "`Tick.price` takes a float, not bool"),
        ({**good, "levels": "abcd"}, "`Tick.levels` takes a sequence, not str"),
        ({**good, "qty": np.float32(1.0)}, "`Tick.qty` takes an int, not float32"),
        ({**good, "qty": np.bool_(True)}, "`Tick.qty` takes an int, not bool"),
        ({**good, "price": np.bool_(True)}, "`Tick.price` takes a float, not bool"),
        ({**good, "price": np.complex128(1 + 2j)}, "`Tick.price` takes a float, not complex128"),
        ({**good, "levels": {1.0, 2.0, 3.0, 4.0}}, "`Tick.levels` takes a sequence, not set"),
        ({**good, "levels": frozenset({1.0, 2.0, 3.0, 4.0})}, "takes a sequence, not frozenset"),
        ({**good, "levels": {1: 1.0, 2: 2.0, 3: 3.0, 4: 4.0}.values()}, "not dict_values"),
        ({**good, "levels": {0: 1.0}}, "`Tick.levels` takes a sequence, not dict"),
        ({**good, "price": "1.5"}, "`Tick.price` takes a float, not str"),
        ({**good, "levels": [1.0, 2.0]}, "`Tick.levels` holds 4 elements, not 2"),
        ({**good, "levels": [1.0, 2.0, "x", 4.0]}, r"`Tick.levels\[2\]` takes a float"),
    ]
    for fields, message in cases:
        with pytest.raises(bcast.SchemaError, match=message):
            pub.publish("Tick", fields)
    with pytest.raises(bcast.SchemaError, match="rkyv"):
        pub.publish("Everything", {})
    with pytest.raises(bcast.SchemaError, match="no message type `Quote`"):
        pub.publish("Quote", {})
    assert pub.messages_published == 0
    # The extremes of each range are taken.
    edges = {**good, "side": -128, "flags": 255, "venue": 65535, "seq": 2**64 - 1,
             "delta": -(2**63), "qty": 0}
    pub.publish("Tick", edges)
    assert bcast.attach(pub.path, start="first").try_recv().fields == edges
    raw = bcast.create(shm("raw"), 4096)
    with pytest.raises(bcast.SchemaError, match="schema_from"):
        raw.publish("Tick", good)


def test_schema_from_a_recording(shm, run, tmp_path):
    source = shm("recorded")
    run("record", source, str(tmp_path / "rec"), "3").finish()
    path = shm("copy")
    pub = bcast.create(path, 1 << 16, schema_from=tmp_path / "rec")
    pub.publish("Tick", tick(9))
    assert bcast.attach(path, start="first").try_recv().fields == tick(9)


def test_an_error_raised_by_a_value_is_not_taken_for_a_wrong_kind(shm, typed_channel):
    class Boom(Exception):
        pass

    class Index:
        def __index__(self) -> int:
            raise Boom("from __index__")

    pub = bcast.create(shm(), 1 << 16, schema_from=typed_channel)
    with pytest.raises(Boom, match="__index__"):
        pub.publish("Tick", {**tick(1), "qty": Index()})

    class Real:
        def __float__(self) -> float:
            raise Boom("from __float__")

    numbers.Real.register(Real)
    with pytest.raises(Boom, match="__float__"):
        pub.publish("Tick", {**tick(1), "price": Real()})
    assert pub.messages_published == 0


def test_numpy_values_and_any_mapping_are_taken(shm, typed_channel):
    path = shm()
    pub = bcast.create(path, 1 << 16, schema_from=typed_channel)
    sub = bcast.attach(path, timeout=0)
    good = tick(5)
    as_numpy = {**good, "seq": np.uint64(good["seq"]), "qty": np.int16(good["qty"]),
                "price": np.float32(good["price"]), "levels": np.array(good["levels"], "<f4"),
                "delta": np.int64(good["delta"])}
    pub.publish("Tick", as_numpy)
    pub.publish("Tick", MappingProxyType(good))
    # Infinities and NaN are floats too; an f32 field takes the nearest f32.
    pub.publish("Tick", {**good, "price": float("inf"), "levels": [float("-inf"), 0.1, 3e38, 0]})
    got = [msg.fields for msg in sub]
    assert got[:2] == [good, good]
    assert got[2]["price"] == float("inf")
    assert got[2]["levels"] == [float("-inf"), np.float32(0.1).item(), np.float32(3e38).item(), 0]
    # A batch's row goes back out as it came in.
    pub.publish("Tick", tick(6))
    row = sub.batch_numpy("Tick")[0]
    again = {name: row[name] for name in row.dtype.names}
    pub.publish("Tick", again)
    assert sub.try_recv().fields == tick(6)


def test_send_takes_a_bytearray(shm):
    path = shm()
    pub = bcast.create(path, 4096)
    pub.send(3, bytearray(b"mutable"))
    assert bcast.attach(path, start="first").try_recv().payload == b"mutable"
