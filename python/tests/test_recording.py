"""Recordings open as channels do."""

import numpy as np

import bcast
from expected import everything, tick


def test_a_recording_reads_as_its_channel_did(shm, run, tmp_path):
    count = 1500  # past the 1 024 records a recording's batch starts with room for
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
