"""A connection's limits and errors: :class:`FlowControl` (write marks, the hard buffer limit, the read budget)
and the exceptions a connection raises. See :mod:`pyfixmsg_plus.transport.connection` for how they are used.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


def reads_once_per_iteration(loop: asyncio.AbstractEventLoop) -> bool:
    """True for asyncio's own event loops, which read a ready socket once per loop iteration (the selector loop's
    one ``recv_into`` per ready event; the proactor's one pending read), so that other callbacks run between
    reads without a yield; False for uvloop, whose libuv reads a busy socket up to 32 times per iteration, and
    for any other loop (the budget then applies)."""
    return isinstance(loop, asyncio.BaseEventLoop)


class TransportError(ConnectionError):
    """A transport could not be opened, or was used after it closed."""


class ConnectionClosed(TransportError):
    """A write or drain on a connection that is closing or closed."""


class WriteBufferOverflow(TransportError):
    """The peer did not read: more than ``FlowControl.max_buffer`` bytes were queued, so we disconnected."""


@dataclass(frozen=True, slots=True)
class FlowControl:
    """Write-side limits of a connection, in bytes.

    ``high_water``/``low_water`` are asyncio's flow-control marks (``low_water`` defaults to a quarter of
    ``high_water``); ``max_buffer`` is the hard limit beyond which the connection is dropped;
    ``pause_reading`` stops reading from the peer while writing is paused; ``nodelay`` disables Nagle's
    algorithm (TCP_NODELAY, the SocketNodelay setting); ``read_bytes_per_turn`` bounds the bytes read and handed
    to the receiver before reading yields to the rest of the event loop for one iteration (see "Fairness" in the
    docstring of :mod:`pyfixmsg_plus.transport.connection`).
    """

    high_water: int = 256 * 1024
    low_water: int | None = None
    max_buffer: int = 16 * 1024 * 1024
    pause_reading: bool = True
    nodelay: bool = True
    read_bytes_per_turn: int = 512 * 1024

    def __post_init__(self) -> None:
        if self.high_water <= 0:
            raise ValueError(f"FlowControl high_water={self.high_water} must be > 0 bytes")
        if self.low_water is not None and not 0 <= self.low_water <= self.high_water:
            raise ValueError(
                f"FlowControl low_water={self.low_water} must be between 0 and "
                f"high_water={self.high_water} bytes")
        if self.max_buffer < self.high_water:
            raise ValueError(
                f"FlowControl max_buffer={self.max_buffer} must be >= high_water={self.high_water} bytes")
        if self.read_bytes_per_turn <= 0:
            raise ValueError(f"FlowControl read_bytes_per_turn={self.read_bytes_per_turn} must be > 0 bytes")

    @property
    def effective_low_water(self) -> int:
        """The mark under which a paused writer resumes, in bytes."""
        return self.high_water // 4 if self.low_water is None else self.low_water


__all__ = [
    "ConnectionClosed",
    "FlowControl",
    "TransportError",
    "WriteBufferOverflow",
    "reads_once_per_iteration",
]
