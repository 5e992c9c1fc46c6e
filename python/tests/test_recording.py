"""Recordings open as channels do."""

import numpy as np
import pytest

import bcast
from expected import everything, tick


def test_a_recording_reads_as_its_channel_did(shm, run, tmp_path):
    count = 1500  # past the 1 365 Ticks (64 KiB) a batch starts with room for
    run("record", shm(), str(tmp_path / "rec"), str(count)).finish()
    sub = bcast.attach(tmp_path / "rec", timeout=0)
    messages = list(sub)
    assert len(messages) == 2 * count
    for seq, msg in enumerate(messages):
        assert msg.seq == seq and msg.position is None and msg.time > 1.6e9
        assert msg.fields == (everything(seq // 2) if seq % 2 == 0 else tick(seq // 2))
    assert sub.stats()["received"] == 2 * count
    ticks = bcast.attach(tmp_path / "rec").batch_numpy("Tick")
    assert ticks["seq"].tolist() == list(range(count))
    assert np.array_equal(ticks["delta"], -np.arange(count))


def test_the_tail_example_prints_a_feed(shm, run):
    import subprocess
    import sys
    from pathlib import Path

    path = shm()
    run("fill", path, "5").finish()
    example = Path(__file__).resolve().parents[1] / "examples" / "tail.py"
    out = subprocess.run([sys.executable, str(example), path, "--count", "10", "--timeout", "5"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    lines = out.splitlines()
    assert lines[0].startswith(f"# {path}: typed channel")
    assert "Everything: {'flag': True" in lines[1] and "Tick: {'seq': 0," in lines[2]
    assert len([line for line in lines if not line.startswith("#")]) == 10
    out = subprocess.run([sys.executable, str(example), path, "--numpy", "Tick", "--count", "5",
                          "--timeout", "2"], capture_output=True, text=True, timeout=60,
                         check=True).stdout
    assert "Tick x5: last (4, 100.5," in out


def test_a_corrupt_segment_raises_once_and_a_reset_keeps_the_error(shm, run, tmp_path):
    rec = tmp_path / "rec"
    run("record", shm(), str(rec), "1500").finish()
    (segment,) = rec.glob("*.bcrec")
    data = bytearray(segment.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 64] = bytes(64)
    segment.write_bytes(bytes(data))
    sub = bcast.attach(rec, timeout=0)
    ticks = sub.batch_numpy("Tick", max=100_000)
    assert 0 < len(ticks) < 1500 and ticks["seq"].tolist() == list(range(len(ticks)))
    with pytest.raises(ValueError, match="no ring"):
        sub.reset()  # a recording has nothing to reset: the error stays
    with pytest.raises(bcast.CorruptError, match="byte"):
        sub.batch_numpy("Tick")
    assert len(sub.batch_numpy("Tick")) == 0  # the rest of the segment is gone
    # Read one at a time, the same: the intact messages, then the error once, then the end.
    one_by_one = bcast.attach(rec, timeout=0)
    seqs = []
    with pytest.raises(bcast.CorruptError):
        for msg in one_by_one:
            seqs.append(msg.seq)
    assert seqs == list(range(len(seqs))) and len(seqs) >= 2 * len(ticks) - 1
    assert list(one_by_one) == []


def test_only_a_recording_directory_attaches(shm, run, tmp_path):
    with pytest.raises(bcast.OpenError, match="not a recording"):
        bcast.attach(tmp_path)
    rec = tmp_path / "rec"
    run("record", shm(), str(rec), "2").finish()
    with pytest.raises(ValueError, match="from its start"):
        bcast.attach(rec, start="latest")
    for start in (None, "first", "oldest"):
        assert bcast.attach(rec, start=start).try_recv().seq == 0
