"""Our side of the live scenarios: engine configurations per store variant and the applications that count.

CompIDs: our engine is ``PYFIX``, the QuickFIX peer ``QFIX``; the QuickFIX<->QuickFIX runs use ``QFA``/``QFI``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pyfixmsg_plus.application import Application, msg_type_of
from pyfixmsg_plus.config import ConfigManager

T = TypeVar("T")

OURS, QUICKFIX_SIDE = "PYFIX", "QFIX"
PEER_ACCEPTOR, PEER_INITIATOR = "QFA", "QFI"
#: HeartBtInt(108) of every benchmark session, seconds: long enough that no heartbeat lands inside a measurement
HEARTBEAT_S = 30


@dataclass(frozen=True)
class StoreVariant:
    """How our engine persists: StoreType and PersistenceMode (the file goes in the run's scratch directory)."""

    label: str
    store_type: str
    persistence_mode: str = "group"

    @property
    def persists(self) -> bool:
        """True when messages go to a file (every store but memory)."""
        return self.store_type != "memory"

    def store_path(self, scratch: Path) -> Path | None:
        """The store's file in ``scratch`` (None for the memory store)."""
        return scratch / f"{self.store_type}-{self.persistence_mode}.db" if self.persists else None

    def settings(self, scratch: Path) -> dict[str, Any]:
        keys: dict[str, Any] = {"StoreType": self.store_type, "PersistenceMode": self.persistence_mode}
        path = self.store_path(scratch)
        if path is not None:
            keys["StorePath"] = str(path)
        return keys


MEMORY = StoreVariant("memory store", "memory")
AIOSQLITE_WRITE_BEHIND = StoreVariant("aiosqlite write_behind", "aiosqlite", "write_behind")
AIOSQLITE_GROUP = StoreVariant("aiosqlite group", "aiosqlite", "group")


@dataclass(frozen=True)
class InboundVariant:
    """One row of the inbound scenario: how our acceptor persists, and whether the application takes the
    refreshes one ``fromApp`` call each or one ``onBatch`` call per socket read."""

    store: StoreVariant
    on_batch: bool = False

    @property
    def label(self) -> str:
        return f"{self.store.label}, onBatch" if self.on_batch else self.store.label

    def application(self, msg_type: str, expected: int) -> CountingApplication | BatchCountingApplication:
        """A fresh counting application of this variant's kind."""
        kind = BatchCountingApplication if self.on_batch else CountingApplication
        return kind(msg_type, expected)


#: the inbound scenario's rows: the issue's three stores with fromApp per message, then onBatch rows
INBOUND_STORES = (
    InboundVariant(MEMORY),
    InboundVariant(AIOSQLITE_WRITE_BEHIND),
    InboundVariant(AIOSQLITE_GROUP),
    InboundVariant(MEMORY, on_batch=True),
    InboundVariant(AIOSQLITE_WRITE_BEHIND, on_batch=True),
)


def acceptor_config(port: int, store: StoreVariant, scratch: Path) -> ConfigManager:
    """Our acceptor PYFIX serving QFIX on 127.0.0.1:``port``."""
    defaults: dict[str, Any] = {
        "ConnectionType": "acceptor", "SocketAcceptHost": "127.0.0.1", "SocketAcceptPort": port,
        "HeartBtInt": HEARTBEAT_S, **store.settings(scratch),
    }  # fmt: skip
    return ConfigManager.from_dict(
        {"DEFAULT": defaults, "SESSION": [{"SenderCompID": OURS, "TargetCompID": QUICKFIX_SIDE}]}
    )


def initiator_config(port: int, store: StoreVariant, scratch: Path) -> ConfigManager:
    """Our initiator PYFIX -> QFIX on 127.0.0.1:``port``."""
    defaults: dict[str, Any] = {
        "ConnectionType": "initiator", "SocketConnectHost": "127.0.0.1", "SocketConnectPort": port,
        "HeartBtInt": HEARTBEAT_S, "ReconnectInterval": 0.2, "ReconnectMaxInterval": 1, "ReconnectJitter": 0,
        **store.settings(scratch),
    }  # fmt: skip
    return ConfigManager.from_dict(
        {"DEFAULT": defaults, "SESSION": [{"SenderCompID": OURS, "TargetCompID": QUICKFIX_SIDE}]}
    )


#: MsgType(35) of Logout and of Logon
LOGOUT, LOGON = "5", "A"


class LogoutAnswerClock(Application):
    """Notes when our engine is about to send a Logout(35=5) (``logout_sent_at``, ``time.perf_counter()``
    seconds, and the ``logout_sent`` event): in the inbound blast that is the answer to the sender's Logout, sent
    once every message before it was handled, so persisting can be timed from there on.

    It also reads the CPU time of the thread that calls it, the engine's event-loop thread
    (``time.thread_time()`` seconds), when the Logon(35=A) answer and the Logout answer are about to be sent:
    :attr:`loop_cpu_seconds` is the loop's CPU for everything the sender sent in between, whatever share of a core
    the loop got (waiting in the selector costs none; other threads, such as aiosqlite's, are not in it).
    """

    def __init__(self) -> None:
        super().__init__()
        self.logout_sent_at = 0.0
        self.logout_sent = asyncio.Event()
        self.cpu_at_logon_answer: float | None = None
        self.cpu_at_logout_answer: float | None = None

    def toAdmin(self, message: Any, sessionID: Any) -> None:
        # called on the loop thread just before an admin message is stored and written (only admin messages come
        # here): the Logon answer precedes the sender's first application message, the Logout answer follows its last
        msg_type = msg_type_of(message)
        if msg_type == LOGON and self.cpu_at_logon_answer is None:
            self.cpu_at_logon_answer = time.thread_time()
        elif msg_type == LOGOUT and not self.logout_sent.is_set():
            self.cpu_at_logout_answer = time.thread_time()
            self.logout_sent_at = time.perf_counter()
            self.logout_sent.set()

    @property
    def loop_cpu_seconds(self) -> float | None:
        """CPU seconds the loop thread spent from the Logon answer to the Logout answer (None until both)."""
        if self.cpu_at_logon_answer is None or self.cpu_at_logout_answer is None:
            return None
        return self.cpu_at_logout_answer - self.cpu_at_logon_answer


class CountingApplication(LogoutAnswerClock):
    """Counts received application messages of one MsgType(35) and notes when the first and the last arrived.

    ``done`` is set once ``expected`` of them were delivered; times are ``time.perf_counter()`` seconds.
    """

    def __init__(self, msg_type: str, expected: int) -> None:
        super().__init__()
        self.msg_type = msg_type
        self.expected = expected
        self.count = 0
        self.first_at = 0.0
        self.last_at = 0.0
        self.done = asyncio.Event()
        self.on_message: Callable[[Any], None] | None = None

    def fromApp(self, message: Any, sessionID: Any) -> None:
        # a plain function, not a coroutine: the engine then calls it without creating a task per message
        if msg_type_of(message) != self.msg_type:
            return
        now = time.perf_counter()
        if self.count == 0:
            self.first_at = now
        self.count += 1
        self.last_at = now
        if self.on_message is not None:
            self.on_message(message)
        if self.count >= self.expected:
            self.done.set()

    @property
    def seconds(self) -> float:
        """First to last delivered message, seconds (the peer's summary measures elapsed_s the same way)."""
        return self.last_at - self.first_at


class BatchCountingApplication(LogoutAnswerClock):
    """Takes received messages of one MsgType(35) whole batches at a time (``onBatch``: no message object is built
    for them), counts them and notes when the first and the last batch arrived (``time.perf_counter()`` seconds).

    ``first_batch`` is the size of the first batch, whose framing and checks happened before ``first_at``;
    ``done`` is set once ``expected`` messages were delivered.
    """

    def __init__(self, msg_type: str, expected: int) -> None:
        super().__init__()
        # an instance attribute: the engine reads it when the session is set up, after construction
        self.batch_msg_types = frozenset((msg_type,))
        self.msg_type = msg_type
        self.expected = expected
        self.count = 0
        self.batches = 0
        self.first_batch = 0
        self.first_at = 0.0
        self.last_at = 0.0
        self.done = asyncio.Event()

    def onBatch(self, batch: Any, sessionID: Any) -> None:
        # a plain function, as fromApp in CountingApplication: no coroutine per read
        now = time.perf_counter()
        size = len(batch)
        if self.batches == 0:
            self.first_at, self.first_batch = now, size
        self.batches += 1
        self.count += size
        self.last_at = now
        if self.count >= self.expected:
            self.done.set()

    @property
    def seconds(self) -> float:
        """First to last batch delivered, seconds (the first batch's messages are inside neither end)."""
        return self.last_at - self.first_at


async def in_thread(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``call`` in a worker thread: the peer harness blocks, our engine must keep running on the loop."""
    return await asyncio.to_thread(call, *args, **kwargs)
