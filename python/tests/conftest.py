"""Shared fixtures: the Rust publisher of every kind of field, built once, and channel paths
under /dev/shm that are removed after each test, whether it passes or not."""

import json
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Bounds every wait of the tests: generous, for a loaded machine.
WAIT = 30.0

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def every_field() -> Path:
    """The `every-field` binary: $BCAST_EVERY_FIELD, or built with cargo (in whatever target
    directory cargo uses; the test profile's, which `cargo test` has built already)."""
    given = os.environ.get("BCAST_EVERY_FIELD")
    if given:
        return Path(given)
    built = subprocess.run(
        ["cargo", "build", "--quiet", "--profile", "test", "-p", "bcast-fixtures", "--bin", "every-field",
         "--message-format=json"],
        cwd=REPO, check=True, capture_output=True, text=True, timeout=1800,
    )
    for line in built.stdout.splitlines():
        message = json.loads(line)
        if message.get("reason") == "compiler-artifact" and message.get("executable"):
            return Path(message["executable"])
    raise RuntimeError("cargo built no every-field executable")


@pytest.fixture
def shm():
    """Makes unique channel paths under /dev/shm; removes them after the test."""
    made = []

    def path(name: str = "chan") -> str:
        made.append(f"/dev/shm/bcast-py-{os.getpid()}-{uuid.uuid4().hex[:12]}-{name}")
        return made[-1]

    yield path
    for p in made:
        head, name = os.path.split(p)
        for leftover in (p, os.path.join(head, f".{name}.lock")):
            try:
                os.unlink(leftover)
            except FileNotFoundError:
                pass


class Fixture:
    """A running `every-field` process."""

    def __init__(self, binary: Path, *args: str):
        self.process = subprocess.Popen(
            [str(binary), *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )
        assert self.process.stdin and self.process.stdout and self.process.stderr
        self.stdin, self.stdout, self.stderr = (
            self.process.stdin, self.process.stdout, self.process.stderr)

    def expect(self, line: str) -> None:
        """Waits (at most WAIT seconds) for the process's next line, which must be `line`."""
        got: list[str] = []
        reader = threading.Thread(target=lambda: got.append(self.stdout.readline()), daemon=True)
        reader.start()
        reader.join(WAIT)
        if reader.is_alive():
            self.process.kill()  # which closes the pipe and ends the read
            reader.join(WAIT)
            raise AssertionError(f"every-field printed no line in {WAIT} s (expected {line!r})")
        if got[0].strip() != line:
            self.process.kill()
            raise AssertionError(f"every-field printed {got[0].strip()!r}, not {line!r}: "
                                 f"{self.stderr.read()}")

    def go(self) -> None:
        self.stdin.write("go\n")
        self.stdin.flush()

    def finish(self) -> str:
        out, err = self.process.communicate(timeout=WAIT)
        assert self.process.returncode == 0, err
        return out

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


@pytest.fixture
def run(every_field):
    """Starts `every-field` with the given arguments; kills what is left after the test."""
    started = []

    def start(*args: str) -> Fixture:
        started.append(Fixture(every_field, *args))
        return started[-1]

    yield start
    for fixture in started:
        fixture.kill()


@pytest.fixture
def live(shm, run):
    """Starts `every-field publish` on a new channel, ready to publish `count` messages of each
    type on `go()`: returns the channel's path and the process."""

    def start(count: int) -> tuple[str, Fixture]:
        path = shm()
        publisher = run("publish", path, str(count))
        publisher.expect("ready")
        return path, publisher

    return start


@pytest.fixture
def typed_channel(shm, run) -> str:
    """A typed channel of the fixture's types, holding one message of each."""
    path = shm("source")
    fixture = run("fill", path, "1")
    fixture.finish()
    return path
