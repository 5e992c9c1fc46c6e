"""Type stubs of the extension module ``bcast._bcast``."""

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal, final

import numpy

__all__ = [
    "BcastError",
    "CorruptError",
    "DecodeError",
    "Message",
    "OpenError",
    "Overrun",
    "PublishError",
    "Publisher",
    "SchemaError",
    "Subscriber",
    "attach",
    "create",
    "remove",
]

class BcastError(Exception):
    """The base of every error this package raises."""

class OpenError(BcastError):
    """A channel or recording cannot be opened or created."""

class Overrun(BcastError):
    """The writer lapped the subscriber; ``reset()`` moves on."""

    lost: int
    """Messages published after the last one the subscriber received: ``reset()`` skips
    them all, ``reset_to_oldest()`` recovers those the ring still holds."""
    position: int
    """The ring position the subscriber was about to read."""
    claimed: int
    """The writer's claimed position when the overrun was seen."""

class DecodeError(BcastError):
    """A frame does not decode as its channel's description says; the subscriber moved past it."""

    tag: int
    seq: int

class CorruptError(BcastError):
    """The channel or recording holds bytes no writer stored."""

class SchemaError(BcastError):
    """An unknown type or field, a value out of range, a type NumPy cannot hold."""

class PublishError(BcastError):
    """A message cannot be published (larger than the MTU, ...)."""

@final
class Message:
    """One message of a channel or a recording."""

    @property
    def type(self) -> str | None:
        """The name of the message's type; ``None`` on a raw channel."""
    @property
    def tag(self) -> int: ...
    @property
    def seq(self) -> int:
        """How many messages the channel carried before this one."""
    @property
    def version(self) -> int:
        """The schema version that wrote it (0: unversioned, or raw)."""
    @property
    def position(self) -> int | None:
        """The frame's ring position (0 for a snapshot's message from the last-value table);
        ``None`` for a recording's frame."""
    @property
    def time(self) -> float | None:
        """When a recorder read it (seconds since the epoch); ``None`` for a channel's frame."""
    @property
    def fields(self) -> Any:
        """The decoded message (a ``dict`` for a struct with named fields); ``None`` if raw."""
    @property
    def payload(self) -> bytes:
        """The payload's bytes, as the writer sent them."""
    def __getitem__(self, key: str | int, /) -> Any:
        """A field of the decoded message."""

@final
class Subscriber(Iterator[Message]):
    """The messages of a channel or a recording, from :func:`attach`.

    A subscriber serves one thread at a time: while one waits in ``recv`` or iteration, a call
    from another thread raises ``RuntimeError``."""

    timeout: float | None
    """How long iteration waits for each message (``None`` or ``inf``: forever; ``0``: not at
    all)."""
    @property
    def path(self) -> Path: ...
    @property
    def types(self) -> dict[int, str]:
        """Tag to message type name, from the channel's registry."""
    @property
    def typed(self) -> bool:
        """Whether messages are decoded."""
    def recv(self, timeout: float | None = None) -> Message | None:
        """The next message, waiting up to ``timeout`` seconds (``None``: forever)."""
    def try_recv(self) -> Message | None:
        """The next message if one is there now."""
    def __iter__(self) -> Subscriber: ...
    def __next__(self) -> Message: ...
    def reset(self) -> int:
        """Moves to the writer's position (after :class:`Overrun`); returns it."""
    def reset_to_oldest(self) -> int:
        """Moves to the oldest message the ring holds; returns its position."""
    def snapshot(self) -> list[Message]:
        """The latest message of every key of the channel's keyed types (its last-value table),
        in publication order; the subscriber goes on with the first message after them."""
    def stats(self) -> dict[str, Any]:
        """``received``, ``lost`` (published after the start, never received), ``skipped``,
        ``overruns``, ``resets``, ``lost_by_type``."""
    def dtype(self, type_name: str) -> numpy.dtype[Any]:
        """The NumPy dtype of the pod type's records."""
    def batch_numpy(self, type_name: str, max: int = 65536) -> numpy.ndarray[Any, Any]:
        """The pending records of a pod type, at most ``max`` (and 256 MiB), as a structured
        array."""

@final
class Publisher:
    """The writer of a channel file made by :func:`create`."""

    @property
    def path(self) -> Path: ...
    @property
    def mtu(self) -> int: ...
    @property
    def messages_published(self) -> int: ...
    def send(self, tag: int, payload: bytes | bytearray, version: int = 0) -> None:
        """Publishes one raw frame."""
    def publish(self, type_name: str, fields: Mapping[str, Any]) -> None:
        """Publishes a pod record from its fields (a channel created with ``schema_from``):
        ints (or NumPy integers), real numbers for floats, sequences or NumPy arrays for arrays,
        mappings for nested structs; never a ``bool``."""

def attach(
    path: str | os.PathLike[str],
    *,
    raw: bool = False,
    start: Literal["latest", "oldest", "first"] | None = None,
    timeout: float | None = None,
) -> Subscriber:
    """Opens a channel file or a recording directory (read from its start: ``start`` is
    ``None``, ``"first"`` or ``"oldest"`` for one)."""

def create(
    path: str | os.PathLike[str],
    capacity: int,
    *,
    schema_from: str | os.PathLike[str] | None = None,
) -> Publisher:
    """Creates a channel file, raw or with another channel's or recording's schema."""

def remove(path: str | os.PathLike[str]) -> None:
    """Removes the file at ``path`` (unchecked: it need not be a channel) and its lock file."""
