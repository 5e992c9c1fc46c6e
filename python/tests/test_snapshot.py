"""Snapshots of a channel's last-value table: each key's latest message, then the live stream
from where they end, with nothing missed or repeated. The publisher is the Rust fixture's
`keyed` mode, whose ring its first messages lap, so that early keys live in the table only."""

import random

import pytest

import bcast
from conftest import WAIT
from expected import latest, plant

# Message triples the fixture publishes before it waits: 3.8 MB of frames, a 1 MiB ring lapped.
COUNT = 20000


def as_tuples(messages: list[bcast.Message]) -> list[tuple[int, str | None, dict]]:
    return [(msg.seq, msg.type, msg.fields) for msg in messages]


def read_live(sub: bcast.Subscriber, end: int) -> list[bcast.Message]:
    """The messages up to the one numbered `end - 1`, each waited for at most WAIT seconds."""
    messages: list[bcast.Message] = []
    while not messages or messages[-1].seq < end - 1:
        msg = sub.recv(WAIT)
        assert msg is not None, f"no message for {WAIT} s after {messages[-1:]}"
        messages.append(msg)
    return messages


def test_a_snapshot_holds_each_keys_latest_and_the_stream_goes_on_after_it(run, shm):
    path = shm()
    publisher = run("keyed", path, str(COUNT), "50")
    publisher.expect("published")
    sub = bcast.attach(path, timeout=0)
    snapshot = sub.snapshot()
    assert as_tuples(snapshot) == latest(3 * COUNT)
    # The early keys' messages were overwritten in the ring long ago: the table held them.
    early = [msg for msg in snapshot if msg.seq < 150]
    assert len(early) == 100 and all(msg.position == 0 for msg in early)
    assert sub.try_recv() is None
    publisher.go()
    live = read_live(sub, 3 * (COUNT + 50))
    assert [msg.seq for msg in live] == list(range(3 * COUNT, 3 * (COUNT + 50)))
    assert [(msg.type, msg.fields) for msg in live] == [plant(msg.seq) for msg in live]
    publisher.expect("done")
    stats = sub.stats()
    assert (stats["received"], stats["lost"], stats["overruns"]) == (150, 0, 0)
    assert stats["lost_by_type"] == {"Reading": 0, "Label": 0, "Beat": 0}


def test_a_snapshot_taken_while_the_publisher_goes_on_misses_and_repeats_nothing(run, shm):
    path = shm()
    more = 300
    publisher = run("keyed", path, str(COUNT), str(more))
    publisher.expect("published")
    sub = bcast.attach(path)
    publisher.go()
    sub.recv(WAIT)  # the publisher has started again
    snapshot = sub.snapshot()
    end = 3 * (COUNT + more)
    live = read_live(sub, end)
    # The snapshot ends where the live stream takes up: each key's latest before that.
    first = live[0].seq
    assert as_tuples(snapshot) == latest(first)
    assert first > 3 * COUNT, "the snapshot ends before a message already received"
    assert [msg.seq for msg in live] == list(range(first, end))
    assert [(msg.type, msg.fields) for msg in live] == [plant(msg.seq) for msg in live]
    publisher.expect("done")
    assert sub.stats()["lost"] == 0


def test_a_snapshot_is_the_way_on_after_an_overrun(run, shm):
    path = shm()
    publisher = run("keyed", path, str(COUNT), "10")
    publisher.expect("published")
    sub = bcast.attach(path, start="first", timeout=0)
    with pytest.raises(bcast.Overrun):
        sub.try_recv()
    assert as_tuples(sub.snapshot()) == latest(3 * COUNT)
    publisher.go()
    live = read_live(sub, 3 * (COUNT + 10))
    assert [msg.seq for msg in live] == list(range(3 * COUNT, 3 * (COUNT + 10)))
    publisher.expect("done")
    # What the snapshot stood for is not lost; the frames its merge read are not received.
    stats = sub.stats()
    assert (stats["received"], stats["lost"], stats["overruns"]) == (30, 0, 1)


def test_a_snapshot_needs_a_typed_channel_with_a_table(run, shm, typed_channel, tmp_path):
    with pytest.raises(bcast.SchemaError, match="no last-value table"):
        bcast.attach(typed_channel).snapshot()
    path = shm()
    publisher = run("keyed", path, "10", "0")
    publisher.expect("published")
    with pytest.raises(bcast.SchemaError, match="raw=True"):
        bcast.attach(path, raw=True).snapshot()
    source = shm("recorded")
    recorder = run("record", source, str(tmp_path / "rec"), "3")
    recorder.finish()
    with pytest.raises(ValueError, match="recording"):
        bcast.attach(str(tmp_path / "rec")).snapshot()


def test_mutated_tables_never_crash_a_snapshot(run, shm):
    """Flips bytes of a keyed channel's file (its table among them): a snapshot either works,
    each message decoded, or raises the package's exceptions."""
    source = shm("source")
    publisher = run("keyed", source, "200", "0")
    publisher.expect("published")
    original = open(source, "rb").read()
    written = [at for at, byte in enumerate(original) if byte != 0]
    rng = random.Random(20261206)
    path = shm("mutant")
    outcomes = {"taken": 0, "raised": 0}
    for _ in range(400):
        data = bytearray(original)
        for _ in range(rng.randint(1, 6)):
            data[rng.choice(written)] = rng.randrange(256)
        with open(path, "wb") as f:
            f.write(data)
        try:
            sub = bcast.attach(path, timeout=0)
        except bcast.OpenError:
            continue
        try:
            taken = sub.snapshot()
            assert all(msg.fields is not None for msg in taken)
            outcomes["taken"] += 1
        except bcast.BcastError:
            outcomes["raised"] += 1
    assert min(outcomes.values()) > 0, outcomes


def test_the_tail_example_prints_a_snapshot_then_the_live_stream(run, shm):
    import subprocess
    import sys
    from pathlib import Path

    path = shm()
    publisher = run("keyed", path, str(COUNT), "5")
    publisher.expect("published")
    example = Path(__file__).resolve().parents[1] / "examples" / "tail.py"
    tail = subprocess.Popen([sys.executable, str(example), path, "--snapshot", "--count", "15",
                             "--timeout", str(WAIT)], stdout=subprocess.PIPE, text=True)
    try:
        assert tail.stdout is not None
        lines = [tail.stdout.readline() for _ in range(3)]
        assert lines[1] == f"# snapshot: the latest message of {len(latest(3 * COUNT))} keys\n"
        assert lines[2] == f"{0:>8} Reading: {{'sensor': 100, 'n': 0, 'value': 0.0}}\n"
        publisher.go()
        out, _ = tail.communicate(timeout=WAIT)
    finally:
        tail.kill()
    live = out.split("# live\n")[1].splitlines()
    printed = [line for line in live if not line.startswith("#")]
    assert len(printed) == 15 and printed[0].startswith(f"{3 * COUNT:>8} Reading: ")
    assert tail.returncode == 0
