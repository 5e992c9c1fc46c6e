"""Loss accounting: what `Overrun.lost` and `stats()["lost"]` say, from every start, against
the sequence numbers the subscriber really received."""

import pytest

import bcast


def lap(pub, count: int) -> None:
    """Publishes `count` 100-byte frames: far more than a 4 KiB ring holds."""
    for i in range(count):
        pub.send(0, i.to_bytes(4, "little") * 25)


def drain(sub) -> list[int]:
    """The sequence numbers of everything pending."""
    return [msg.seq for msg in iter(lambda: sub.try_recv(), None)]


def test_a_reader_from_the_first_message_counts_every_unread_one(shm):
    path = shm()
    pub = bcast.create(path, 4096)
    lap(pub, 1000)
    sub = bcast.attach(path, start="first")
    with pytest.raises(bcast.Overrun) as raised:
        sub.try_recv()
    assert raised.value.lost == 1000
    sub.reset_to_oldest()
    seqs = drain(sub)
    assert seqs == list(range(seqs[0], 1000))
    stats = sub.stats()
    assert stats["lost"] == seqs[0] and stats["received"] + stats["lost"] == 1000


def test_a_reader_at_the_oldest_counts_from_where_it_started(shm):
    path = shm()
    pub = bcast.create(path, 4096)
    lap(pub, 1000)
    sub = bcast.attach(path, start="oldest")
    first = bcast.attach(path, start="oldest").try_recv().seq
    assert first > 0
    lap(pub, 1000)
    with pytest.raises(bcast.Overrun) as raised:
        sub.try_recv()
    assert raised.value.lost == 2000 - first
    sub.reset()
    pub.send(0, b"after")
    assert drain(sub) == [2000]
    assert sub.stats()["lost"] == 2000 - first


def test_a_reader_lapped_before_its_first_message_counts_the_loss(shm):
    path = shm()
    pub = bcast.create(path, 4096)
    lap(pub, 10)
    sub = bcast.attach(path)  # latest: from message 10 on
    lap(pub, 60)
    with pytest.raises(bcast.Overrun) as raised:
        sub.try_recv()
    assert raised.value.lost == 60
    sub.reset_to_oldest()
    seqs = drain(sub)
    assert seqs[-1] == 69 and seqs == list(range(seqs[0], 70))
    stats = sub.stats()
    assert stats["lost"] == seqs[0] - 10
    assert stats["received"] + stats["lost"] == 60


def test_a_batch_raises_overrun_with_the_loss_and_goes_on_after_reset(shm, typed_channel):
    from expected import tick

    path = shm()
    pub = bcast.create(path, 4096, schema_from=typed_channel)
    sub = bcast.attach(path)
    pub.publish("Tick", tick(0))
    assert sub.batch_numpy("Tick")["seq"].tolist() == [0]
    for i in range(1, 201):
        pub.publish("Tick", tick(i))
    with pytest.raises(bcast.Overrun) as raised:
        sub.batch_numpy("Tick")
    assert raised.value.lost == 200
    with pytest.raises(bcast.Overrun):
        sub.batch_numpy("Tick")  # until reset
    sub.reset()
    for i in range(201, 204):
        pub.publish("Tick", tick(i))
    assert sub.batch_numpy("Tick")["seq"].tolist() == [201, 202, 203]
    stats = sub.stats()
    assert (stats["received"], stats["lost"], stats["overruns"], stats["resets"]) == (4, 200, 2, 1)
    # Per type, from the type's own numbering, counted from its first message received.
    assert stats["lost_by_type"] == {"Tick": 200}


def test_a_replay_is_no_loss(shm, typed_channel):
    from expected import tick

    path = shm()
    pub = bcast.create(path, 1 << 16, schema_from=typed_channel)
    sub = bcast.attach(path, start="first")
    for i in range(20):
        pub.publish("Tick", tick(i))
    assert drain(sub) == list(range(20))
    sub.reset_to_oldest()  # back to the start: the ring holds all twenty
    pub.publish("Tick", tick(20))
    assert drain(sub) == list(range(21))
    stats = sub.stats()
    # Received counts what was returned, replays included; nothing was lost, per type either.
    assert (stats["received"], stats["lost"]) == (41, 0)
    assert stats["lost_by_type"] == {"Tick": 0}


def test_frames_a_batch_passes_over_are_no_loss(live):
    """A batch steps over other types' frames without copying them, but counts them: reading
    one by one before and after it, no type shows a loss."""
    from conftest import WAIT

    path, publisher = live(1000)
    sub = bcast.attach(path, timeout=WAIT)
    publisher.go()
    publisher.expect("done")
    first = [sub.recv(WAIT) for _ in range(10)]  # the first five of each type
    ticks = sub.batch_numpy("Tick", max=100)  # Ticks 5..104; Everythings 5..104 passed over
    rest = drain(sub)
    assert [msg.seq for msg in first if msg is not None] == list(range(10))
    assert ticks["seq"].tolist() == list(range(5, 105))
    assert rest == list(range(210, 2000))
    stats = sub.stats()
    assert (stats["lost"], stats["skipped"], stats["received"]) == (0, 100, 1900)
    assert stats["lost_by_type"] == {"Everything": 0, "Tick": 0}
