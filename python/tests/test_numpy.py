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
    assert batched.stats()["skipped"] >= count - 1


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
