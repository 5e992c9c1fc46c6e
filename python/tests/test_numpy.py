"""Pod records as NumPy structured arrays, equal to the values read one message at a time."""

import time

import numpy as np
import pytest

import bcast
from conftest import WAIT
from expected import tick


def test_batches_equal_the_per_message_values(live):
    count = 3000
    path, publisher = live(count)
    one_by_one = bcast.attach(path, timeout=WAIT)
    batched = bcast.attach(path)
    publisher.go()
    messages = [msg for _, msg in zip(range(2 * count), one_by_one) if msg.type == "Tick"]
    batches = []
    deadline = time.monotonic() + WAIT
    while sum(len(batch) for batch in batches) < count:
        assert time.monotonic() < deadline, "the batches never held every Tick"
        batch = batched.batch_numpy("Tick", max=700)
        assert len(batch) <= 700
        batches.append(batch)
    ticks = np.concatenate(batches)
    assert ticks.dtype == batched.dtype("Tick")
    assert ticks.dtype.names == ("seq", "price", "qty", "side", "flags", "venue", "levels", "delta")
    assert len(ticks) == count == len(messages)
    for row, msg in zip(ticks, messages):
        fields = msg.fields
        for name in ticks.dtype.names:
            assert row[name].tolist() == fields[name], name
    for i in (0, 1, count - 1):
        assert ticks[i]["levels"].tolist() == tick(i)["levels"]
    # Every Everything frame was passed over: the publisher alternates the two types.
    assert batched.stats()["skipped"] == count


def test_rkyv_and_unknown_types_are_refused_by_name(typed_channel):
    sub = bcast.attach(typed_channel, start="first")
    with pytest.raises(bcast.SchemaError, match="rkyv"):
        sub.batch_numpy("Everything")
    with pytest.raises(bcast.SchemaError, match="Everything, Tick"):
        sub.batch_numpy("Nope")
    raw = bcast.attach(typed_channel, raw=True)
    with pytest.raises(bcast.SchemaError):
        raw.batch_numpy("Tick")


def test_a_batch_of_nothing_pending_is_empty(typed_channel):
    sub = bcast.attach(typed_channel)
    batch = sub.batch_numpy("Tick")
    assert len(batch) == 0 and batch.dtype == sub.dtype("Tick")


def test_memory_follows_the_records_read_not_the_pending_count(shm, typed_channel):
    import tracemalloc

    path = shm()
    pub = bcast.create(path, 1 << 23, schema_from=typed_channel)
    sub = bcast.attach(path)
    for _ in range(60_000):
        pub.send(1, b"")  # pending frames of another type: a batch of Ticks skips them
    pub.publish("Tick", tick(1))
    tracemalloc.start()
    try:
        batch = sub.batch_numpy("Tick")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert batch["seq"].tolist() == [1]
    assert sub.stats()["skipped"] == 60_000
    # Room for all 60 001 pending messages as Ticks would be 2.9 MB; a batch's room is what the
    # pending bytes of the ring (60 001 frames of 32 bytes and more, 1.9 MB) can hold of Ticks
    # (80-byte frames), 1.15 MB.
    assert peak < 1_300_000, peak


def test_records_of_earlier_and_later_versions_batch_by_the_fields_they_share(shm, typed_channel):
    import struct

    path = shm()
    pub = bcast.create(path, 1 << 16, schema_from=typed_channel)
    sub = bcast.attach(path, timeout=0)
    level = sub.dtype("Level")
    assert level.names == ("price", "qty", "venue") and level.itemsize == 16
    tag = {name: tag for tag, name in sub.types.items()}["Level"]
    pub.send(tag, struct.pack("<dI", 1.5, 7), version=1)  # before `venue`
    pub.send(tag, struct.pack("<dII", 2.5, 8, 9), version=2)
    pub.send(tag, struct.pack("<dIIQ", 3.5, 10, 11, 12), version=3)  # a field added later
    pub.publish("Level", {"price": 4.5, "qty": 13, "venue": 14})
    levels = sub.batch_numpy("Level")
    assert levels.tolist() == [(1.5, 7, 0), (2.5, 8, 9), (3.5, 10, 11), (4.5, 13, 14)]
    # A record of the described version of another length is refused, by name of its size.
    pub.send(tag, struct.pack("<dI", 5.5, 15), version=2)
    with pytest.raises(bcast.DecodeError, match="16 bytes"):
        sub.batch_numpy("Level")
