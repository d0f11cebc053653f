"""An in-process acceptor and initiator on loopback TCP, logged on, for users' own tests.

::

    from pyfixmsg_plus.testing import OrderFiller, loopback_pair

    async with loopback_pair(acceptor_app=OrderFiller()) as pair:
        await pair.initiator.send_message(pair.initiator.fixmsg({35: "D", 11: "A1", ...}))
        report = await pair.initiator_app.next_message("8", timeout=5)

Both engines are real :class:`~pyfixmsg_plus.engine.FixEngine` objects over 127.0.0.1 sockets; on exit the
initiator logs out and both engines stop. The applications given are used as they are; an application with a
``bind(engine)`` method (such as :class:`OrderFiller`) receives its engine before it starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyfixmsg_plus.application import Application
from pyfixmsg_plus.config import ConfigManager

#: how many times a listening port is picked again when another process took it between probe and bind
_PORT_ATTEMPTS = 5


class RecordingApplication(Application):
    """Keeps what the engine delivers: received application and admin messages, logons and logouts.

    ``received`` and ``admin_received`` are lists in arrival order; :meth:`next_message` waits for the next
    application message (optionally of one MsgType(35)) not yet taken.
    """

    def __init__(self) -> None:
        super().__init__()
        self.engine: Any = None
        self.received: list[Any] = []
        self.admin_received: list[Any] = []
        self.logons: list[Any] = []
        self.logouts: list[Any] = []
        self._taken = 0
        self._arrived = asyncio.Condition()

    def bind(self, engine: Any) -> RecordingApplication:
        """Remember the engine that runs this application (used by subclasses that answer messages)."""
        self.engine = engine
        return self

    async def onLogon(self, sessionID: Any) -> None:
        self.logons.append(sessionID)

    async def onLogout(self, sessionID: Any) -> None:
        self.logouts.append(sessionID)

    async def fromAdmin(self, message: Any, sessionID: Any) -> None:
        self.admin_received.append(message)

    async def fromApp(self, message: Any, sessionID: Any) -> None:
        async with self._arrived:
            self.received.append(message)
            self._arrived.notify_all()

    def admin_count(self, msg_type: str) -> int:
        """How many admin messages of ``msg_type`` (e.g. "0" for Heartbeat) were received."""
        return sum(1 for message in self.admin_received if message.get(35) == msg_type)

    async def next_message(self, msg_type: str | None = None, timeout: float = 5.0) -> Any:
        """The next received application message not yet taken (skipping other types when ``msg_type`` is
        given); raises TimeoutError after ``timeout`` seconds."""
        async with self._arrived:
            return await asyncio.wait_for(self._arrived.wait_for(lambda: self._take(msg_type)), timeout)

    def _take(self, msg_type: str | None) -> Any:
        while self._taken < len(self.received):
            message = self.received[self._taken]
            self._taken += 1
            if msg_type is None or message.get(35) == msg_type:
                return message
        return None

    async def wait_for_count(self, count: int, msg_type: str | None = None, timeout: float = 5.0) -> list[Any]:
        """Wait until ``count`` application messages (of ``msg_type`` when given) were received in all; returns
        them. Raises TimeoutError after ``timeout`` seconds naming how many came."""

        def matching() -> list[Any]:
            return [m for m in self.received if msg_type is None or m.get(35) == msg_type]

        try:
            async with self._arrived:
                await asyncio.wait_for(self._arrived.wait_for(lambda: len(matching()) >= count), timeout)
        except TimeoutError:
            raise TimeoutError(
                f"{len(matching())} of {count} messages with MsgType(35)={msg_type or 'any'} arrived within "
                f"{timeout} s") from None
        return matching()[:count]


class OrderFiller(RecordingApplication):
    """Answers every NewOrderSingle (35=D) with an ExecutionReport (35=8) filling the whole OrderQty(38).

    The report carries OrderID(37), ExecID(17), ExecType(150)=F, OrdStatus(39)=2, the order's ClOrdID(11),
    Symbol(55), Side(54), OrderQty(38), LastQty(32)/CumQty(14)=OrderQty, LeavesQty(151)=0 and LastPx(31)/AvgPx(6)
    = Price(44) (0 without a price). Needs :meth:`bind` (``loopback_pair`` does it).
    """

    def __init__(self) -> None:
        super().__init__()
        self.fills = 0

    async def fromApp(self, message: Any, sessionID: Any) -> None:
        await super().fromApp(message, sessionID)
        if message.get(35) != "D" or self.engine is None:
            return
        self.fills += 1
        await self.engine.send_message(self.engine.fixmsg(fill_for(message, self.fills), session_id=sessionID),
                                       session_id=sessionID)


def fill_for(order: Mapping[Any, Any], number: int) -> dict[int, Any]:
    """The body of an ExecutionReport (35=8) filling ``order`` (a NewOrderSingle) completely; ``number`` makes
    OrderID(37) and ExecID(17) unique."""
    quantity = order.get(38)
    price = order.get(44) or 0
    return {35: "8", 37: f"O{number}", 11: order.get(11), 17: f"E{number}", 150: "F", 39: "2",
            55: order.get(55), 54: order.get(54), 38: quantity, 32: quantity, 31: price,
            151: 0, 14: quantity, 6: price}  # fmt: skip


@dataclass
class LoopbackPair:
    """Both engines of :func:`loopback_pair`, logged on to each other, and their applications."""

    acceptor: Any
    initiator: Any
    acceptor_app: Application
    initiator_app: Application
    port: int


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listened on a moment ago on ``host`` (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def pair_configs(
    port: int,
    *,
    initiator_id: str = "CLIENT",
    acceptor_id: str = "EXEC",
    begin_string: str = "FIX.4.4",
    store_dir: Path | None = None,
    heartbeat_interval: int = 30,
    settings: Mapping[str, Any] | None = None,
) -> tuple[ConfigManager, ConfigManager]:
    """The acceptor's and the initiator's configurations of a loopback pair on 127.0.0.1:``port``.

    ``store_dir``: SQLite stores ``acceptor.db``/``initiator.db`` there (sequence numbers survive); memory
    stores when None. ``settings``: more keys for both ``[DEFAULT]`` sections (QuickFIX names).
    """
    common: dict[str, Any] = {"BeginString": begin_string, "HeartBtInt": heartbeat_interval}
    common.update(settings or {})

    def store(name: str) -> dict[str, Any]:
        if store_dir is None:
            return {"StoreType": "memory"}
        return {"StoreType": "database", "StorePath": str(Path(store_dir) / f"{name}.db")}

    acceptor = ConfigManager.from_dict({
        "DEFAULT": {"ConnectionType": "acceptor", "SocketAcceptHost": "127.0.0.1", "SocketAcceptPort": port,
                    **store("acceptor"), **common},
        "SESSION": [{"SenderCompID": acceptor_id, "TargetCompID": initiator_id}],
    })  # fmt: skip
    initiator = ConfigManager.from_dict({
        "DEFAULT": {"ConnectionType": "initiator", "SocketConnectHost": "127.0.0.1", "SocketConnectPort": port,
                    "ReconnectInterval": 0.1, "ReconnectMaxInterval": 1, **store("initiator"), **common},
        "SESSION": [{"SenderCompID": initiator_id, "TargetCompID": acceptor_id}],
    })  # fmt: skip
    return acceptor, initiator


def _bind_app(app: Application, engine: Any) -> None:
    bind = getattr(app, "bind", None)
    if callable(bind):
        bind(engine)


async def _open_acceptor(app: Application, options: dict[str, Any]) -> tuple[Any, int]:
    from pyfixmsg_plus.engine import FixEngine  # the engine imports this package's siblings: import late

    last_error: OSError | None = None
    for _attempt in range(_PORT_ATTEMPTS):
        port = free_port()
        config, _ = pair_configs(port, **options)
        engine = await FixEngine.create(config, app)
        _bind_app(app, engine)
        try:
            await engine.open()
        except OSError as exc:  # the port was taken between the probe and the bind: pick another
            last_error = exc
            await engine.disconnect(graceful=False)
            continue
        return engine, port
    raise OSError(f"no free loopback port for the acceptor after {_PORT_ATTEMPTS} attempts: {last_error}")


@contextlib.asynccontextmanager
async def loopback_pair(
    acceptor_app: Application | None = None,
    initiator_app: Application | None = None,
    *,
    initiator_id: str = "CLIENT",
    acceptor_id: str = "EXEC",
    begin_string: str = "FIX.4.4",
    store_dir: Path | None = None,
    heartbeat_interval: int = 30,
    settings: Mapping[str, Any] | None = None,
    logon_timeout: float = 10.0,
) -> AsyncIterator[LoopbackPair]:
    """An acceptor and an initiator engine in this process, connected over 127.0.0.1 and logged on.

    Applications default to :class:`RecordingApplication`. ``logon_timeout`` (seconds) bounds the wait for the
    Logon exchange (TimeoutError naming the session otherwise). See :func:`pair_configs` for the rest.
    """
    from pyfixmsg_plus.engine import FixEngine

    acceptor_app = acceptor_app if acceptor_app is not None else RecordingApplication()
    initiator_app = initiator_app if initiator_app is not None else RecordingApplication()
    options: dict[str, Any] = {"initiator_id": initiator_id, "acceptor_id": acceptor_id,
                               "begin_string": begin_string, "store_dir": store_dir,
                               "heartbeat_interval": heartbeat_interval, "settings": settings}  # fmt: skip
    acceptor, port = await _open_acceptor(acceptor_app, options)
    initiator = None
    try:
        _, initiator_config = pair_configs(port, **options)
        initiator = await FixEngine.create(initiator_config, initiator_app)
        _bind_app(initiator_app, initiator)
        await initiator.open()
        if not await initiator.wait_logged_on(logon_timeout):
            raise TimeoutError(f"loopback pair: session {initiator.session_id} did not log on to 127.0.0.1:{port} "
                               f"within {logon_timeout} s (state {initiator.state_machine.state.name})")
        await acceptor.wait_logged_on(logon_timeout)
        yield LoopbackPair(acceptor, initiator, acceptor_app, initiator_app, port)
    finally:
        if initiator is not None:
            await initiator.disconnect(graceful=True, timeout=5.0)
        await acceptor.disconnect(graceful=False)
