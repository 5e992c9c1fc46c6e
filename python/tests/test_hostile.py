"""Hostile frames and channel files: exceptions, never a crash, and reading goes on."""

import os
import random
import shutil

import pytest

import bcast
from expected import tick


def test_a_frame_that_does_not_decode_raises_and_reading_goes_on(shm, typed_channel):
    path = shm()
    pub = bcast.create(path, 1 << 16, schema_from=typed_channel)
    sub = bcast.attach(path, timeout=0)
    pub.send(1, b"\xff" * 40)           # no Everything archive
    pub.send(2, b"\x00" * 5)            # a Tick of the wrong size
    pub.send(99, b"\x01\x02")           # a tag the channel does not have
    pub.publish("Tick", tick(3))
    for tag in (1, 2, 99):
        with pytest.raises(bcast.DecodeError) as raised:
            sub.try_recv()
        assert raised.value.tag == tag
    assert sub.try_recv().fields == tick(3)


def test_a_wrong_sized_record_ends_a_batch_and_raises_next(shm, typed_channel):
    path = shm()
    pub = bcast.create(path, 1 << 16, schema_from=typed_channel)
    sub = bcast.attach(path)
    pub.publish("Tick", tick(1))
    pub.send(2, b"\x00" * 7)
    pub.publish("Tick", tick(2))
    assert sub.batch_numpy("Tick")["seq"].tolist() == [1]
    with pytest.raises(bcast.DecodeError, match="48 bytes"):
        sub.batch_numpy("Tick")
    assert sub.batch_numpy("Tick")["seq"].tolist() == [2]


def test_mutated_channel_files_never_crash_the_reader(shm, typed_channel):
    """Flips bytes of a typed channel's header, registry, description and frames: attaching
    and reading either work or raise the package's exceptions."""
    original = open(typed_channel, "rb").read()
    # Most of the file is empty ring: aim at the bytes something was written to.
    written = [at for at, byte in enumerate(original) if byte != 0]
    rng = random.Random(20261205)
    path = shm("mutant")
    outcomes = {"opened": 0, "refused": 0, "raised": 0}
    for _ in range(1000):
        data = bytearray(original)
        for _ in range(rng.randint(1, 8)):
            at = rng.choice(written) if rng.random() < 0.9 else rng.randrange(len(data))
            data[at] = rng.randrange(256)
        with open(path, "wb") as f:
            f.write(data)
        try:
            sub = bcast.attach(path, start="first", timeout=0)
        except bcast.OpenError:
            outcomes["refused"] += 1
            continue
        outcomes["opened"] += 1
        try:
            for _ in range(4):
                msg = sub.try_recv()
                if msg is None:
                    break
            sub.batch_numpy("Tick")
        except bcast.BcastError:
            outcomes["raised"] += 1
    assert min(outcomes.values()) > 0, outcomes


def test_hostile_header_counters_never_crash_nor_bloat_a_batch(shm, typed_channel):
    """Sets the header's words (frontiers, message count, MTU, checkpoints) to extreme values:
    attaching, reading and batching either work or raise, promptly and in little memory."""
    import time
    import tracemalloc

    # A channel of a few Ticks, so that a batch has records to return.
    source = shm("ticks")
    pub = bcast.create(source, 1 << 16, schema_from=typed_channel)
    for i in range(8):
        pub.publish("Tick", tick(i))
    original = open(source, "rb").read()
    rng = random.Random(4)
    path = shm("counters")
    batched = 0
    extremes = [2**64 - 1, 2**63, 2**40, 2**32 + 16, 4096, 16, 1]
    tracemalloc.start()
    try:
        for _ in range(300):
            data = bytearray(original)
            for _ in range(rng.randint(1, 3)):
                at = rng.randrange(0, 512, 8)
                data[at:at + 8] = rng.choice(extremes).to_bytes(8, "little")
            with open(path, "wb") as f:
                f.write(data)
            started = time.monotonic()
            start = rng.choice(["first", "oldest", "latest"])
            try:
                sub = bcast.attach(path, start=start, timeout=0)
            except bcast.OpenError:
                continue
            try:
                batched += len(sub.batch_numpy("Tick"))
            except bcast.BcastError:
                pass
            try:
                for _ in range(4):
                    sub.try_recv()
            except bcast.BcastError:
                pass
            assert time.monotonic() - started < 5
            del sub
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, peak
    assert batched > 0, "no batch returned a record: the test read nothing"


def test_a_truncated_channel_file_is_refused(shm, typed_channel):
    path = shm("short")
    shutil.copyfile(typed_channel, path)
    os.truncate(path, 4096)
    with pytest.raises(bcast.OpenError):
        bcast.attach(path)


def test_a_lying_message_count_hides_no_record_from_a_batch(shm, typed_channel):
    path = shm()
    pub = bcast.create(path, 1 << 16, schema_from=typed_channel)
    for i in range(3):
        pub.publish("Tick", tick(i))
    with open(path, "r+b") as f:  # the header's count of messages published: 0
        f.seek(264)
        f.write(bytes(8))
    sub = bcast.attach(path, start="first")
    assert sub.batch_numpy("Tick")["seq"].tolist() == [0, 1, 2]
