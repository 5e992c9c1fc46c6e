"""A Rust publisher of every kind of field, read and checked value by value from Python."""

import pytest

import bcast
from conftest import WAIT
from expected import everything, tick


def test_every_field_of_a_live_publisher_decodes_to_its_value(live):
    count = 400
    path, publisher = live(count)
    sub = bcast.attach(path, timeout=WAIT)
    assert sub.typed
    assert sub.types == {1: "Everything", 2: "Tick", 3: "Level"}
    publisher.go()
    seen = {"Everything": 0, "Tick": 0}
    for seq, msg in zip(range(2 * count), sub):
        i = seq // 2
        assert msg.seq == seq
        assert msg.version == 0
        assert msg.position is not None and msg.time is None
        if seq % 2 == 0:
            assert (msg.type, msg.tag) == ("Everything", 1)
            assert msg.fields == everything(i), f"message {seq}"
            assert msg["text"] == f"message {i} ✓"
        else:
            assert (msg.type, msg.tag) == ("Tick", 2)
            assert msg.fields == tick(i), f"message {seq}"
            assert len(msg.payload) == sub.dtype("Tick").itemsize
        seen[msg.type] += 1
    assert seen == {"Everything": count, "Tick": count}
    publisher.expect("done")
    stats = sub.stats()
    assert (stats["received"], stats["lost"], stats["overruns"]) == (2 * count, 0, 0)
    assert stats["lost_by_type"] == {"Everything": 0, "Tick": 0}
    with pytest.raises(KeyError):
        msg["no such field"]


def test_iteration_with_a_zero_timeout_yields_what_is_pending_and_stops(typed_channel):
    sub = bcast.attach(typed_channel, start="first", timeout=0)
    assert [msg.type for msg in sub] == ["Everything", "Tick"]
    assert sub.try_recv() is None
    assert sub.recv(timeout=0.01) is None


def test_start_positions(typed_channel):
    assert bcast.attach(typed_channel).try_recv() is None
    assert bcast.attach(typed_channel, start="oldest").try_recv().seq == 0
    with pytest.raises(ValueError, match="latest"):
        bcast.attach(typed_channel, start="middle")
    for bad in (-1, float("nan")):
        with pytest.raises(ValueError, match="from 0 to inf"):
            bcast.attach(typed_channel, timeout=bad)
    # Longer than a duration holds is forever, as infinity is, and reads back as infinity.
    for forever in (float("inf"), 1e20):
        assert bcast.attach(typed_channel, timeout=forever).timeout == float("inf")
    sub = bcast.attach(typed_channel, timeout=0.25)
    assert sub.timeout == 0.25
    sub.timeout = None
    assert sub.timeout is None


def test_raw_attach_gives_bytes(typed_channel):
    sub = bcast.attach(typed_channel, raw=True, start="first")
    msg = sub.try_recv()
    assert not sub.typed and msg.fields is None and msg.type == "Everything"
    assert isinstance(msg.payload, bytes) and len(msg.payload) > 0
    with pytest.raises(TypeError):
        msg["flag"]
