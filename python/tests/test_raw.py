"""Raw channels from Python: frames as bytes, overruns, reset and the loss counters."""

import pytest

import bcast


def test_raw_frames_round_trip(shm):
    path = shm()
    pub = bcast.create(path, 4096)
    sub = bcast.attach(path, timeout=0)
    assert not sub.typed and sub.types == {}
    frames = [(b"hello", 7), (b"", 0), (bytes(range(256)), 1 << 31)]
    for payload, tag in frames:
        pub.send(tag, payload)
    got = [(msg.payload, msg.tag, msg.seq, msg.fields, msg.type) for msg in sub]
    assert got == [(p, t, seq, None, None) for seq, (p, t) in enumerate(frames)]
    assert pub.messages_published == 3
    with pytest.raises(bcast.PublishError, match="MTU|mtu|exceeds"):
        pub.send(0, bytes(pub.mtu + 1))


def test_an_overrun_raises_with_the_loss_and_reset_goes_on(shm):
    path = shm()
    pub = bcast.create(path, 4096)
    sub = bcast.attach(path)
    published = 1000
    for i in range(published):
        pub.send(0, i.to_bytes(4, "little") * 25)
    with pytest.raises(bcast.Overrun) as raised:
        sub.try_recv()
    assert raised.value.lost == published
    assert "reset()" in str(raised.value)
    with pytest.raises(bcast.Overrun):
        sub.try_recv()  # until reset
    sub.reset()
    for i in range(3):
        pub.send(0, b"after %d" % i)
    assert [msg.payload for msg in iter(lambda: sub.try_recv(), None)] == [
        b"after 0", b"after 1", b"after 2"]
    stats = sub.stats()
    assert stats["received"] == 3
    assert stats["lost"] == published
    assert (stats["overruns"], stats["resets"]) == (2, 1)


def test_reset_to_oldest_replays_what_the_ring_holds(shm):
    path = shm()
    pub = bcast.create(path, 4096)
    sub = bcast.attach(path)
    for i in range(200):
        pub.send(0, bytes([i % 256]) * 40)
    with pytest.raises(bcast.Overrun):
        sub.recv(timeout=1)
    sub.reset_to_oldest()
    seqs = [msg.seq for msg in iter(lambda: sub.try_recv(), None)]
    assert seqs and seqs[-1] == 199 and seqs == list(range(seqs[0], 200))
    assert sub.stats()["lost"] == seqs[0]


def test_opening_what_is_not_a_channel_raises(shm, tmp_path):
    with pytest.raises(bcast.OpenError, match="No such file|not found|cannot"):
        bcast.attach(shm("missing"))
    junk = tmp_path / "junk"
    junk.write_bytes(b"\x00" * 10000)
    with pytest.raises(bcast.OpenError):
        bcast.attach(junk)
    path = shm()
    writer = bcast.create(path, 4096)
    with pytest.raises(bcast.OpenError, match="writer"):
        bcast.create(path, 4096)
    del writer
    with pytest.raises(bcast.OpenError):
        bcast.create(shm("other"), 4096, schema_from=path)
    bcast.remove(path)
