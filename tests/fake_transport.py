"""An asyncio transport stand-in for tests that drive a real :class:`pyfixmsg_plus.transport.Connection`
without a socket (shared by tests/transport and tests/engine)."""

from __future__ import annotations

from typing import Any


class FakeTransport:
    """Records every transport write; ``queued`` stands for the bytes the kernel did not take yet."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.queued = 0
        self.closing = False
        self.aborted = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def get_write_buffer_size(self) -> int:
        return self.queued

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def abort(self) -> None:
        self.closing = self.aborted = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def set_write_buffer_limits(self, high: int, low: int) -> None:
        pass

    def is_reading(self) -> bool:
        return True
