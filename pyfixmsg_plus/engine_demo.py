"""The live demo: an acceptor and an initiator in one process on loopback, with the embedded SQLite store.

Logon, ``orders`` NewOrderSingles each answered by a filled ExecutionReport, a burst of ``md_burst``
MarketDataIncrementalRefresh messages from the acceptor, Logout. :func:`run_live_demo` returns a
:class:`DemoSummary`; the ``demo`` command prints it.
"""

from __future__ import annotations

import asyncio
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyfixmsg_plus.application import Application
from pyfixmsg_plus.config import ConfigManager
from pyfixmsg_plus.engine import FixEngine
from pyfixmsg_plus.idgen import NumericClOrdIdGenerator

_SENDER, _TARGET = "DEMO_CLIENT", "DEMO_EXCHANGE"
#: market-data messages sent together (one store transaction, one write)
_MD_CHUNK = 500


@dataclass(frozen=True)
class DemoSummary:
    """What the demo did; times in seconds, rates in messages per second."""

    orders: int
    fills: int
    md_messages: int
    logon_seconds: float
    orders_seconds: float
    md_seconds: float
    total_seconds: float
    store_path: Path
    persistence_mode: str

    @property
    def order_round_trips_per_second(self) -> float:
        """NewOrderSingle -> ExecutionReport round trips per second (orders sent back to back)."""
        return self.fills / self.orders_seconds if self.orders_seconds else 0.0

    @property
    def md_messages_per_second(self) -> float:
        """Market-data messages received per second during the burst."""
        return self.md_messages / self.md_seconds if self.md_seconds else 0.0

    @property
    def messages_per_second(self) -> float:
        """Every application message (orders, fills, market data) over the time spent on them."""
        busy = self.orders_seconds + self.md_seconds
        return (self.orders + self.fills + self.md_messages) / busy if busy else 0.0


class _Exchange(Application):
    """Fills every order at once and publishes market data on request."""

    def __init__(self) -> None:
        super().__init__()
        self.engine: Any = None
        self._exec_ids = NumericClOrdIdGenerator(prefix="E")

    async def fromApp(self, message: Any, sessionID: Any) -> None:
        if message.get(35) != "D":
            return
        exec_id = self._exec_ids.next_id()
        await self.engine.send_fields("8", [
            (6, message.get(44, "100")), (11, message[11]), (14, message[38]), (17, exec_id), (31, "100"),
            (32, message[38]), (37, exec_id), (39, "2"), (54, message[54]), (55, message[55]), (150, "F"),
            (151, 0)], sessionID)


class _Trader(Application):
    """Counts fills and market data; batch users would override ``onBatch`` instead."""

    def __init__(self) -> None:
        super().__init__()
        self.fills = 0
        self.md = 0
        self.all_fills = asyncio.Event()
        self.all_md = asyncio.Event()
        self.expect_fills = 0
        self.expect_md = 0

    def fromApp(self, message: Any, sessionID: Any) -> None:
        kind = message.get(35)
        if kind == "8":
            self.fills += 1
            if self.fills >= self.expect_fills:
                self.all_fills.set()
        elif kind == "X":
            self.md += 1
            if self.md >= self.expect_md:
                self.all_md.set()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _config(role: str, sender: str, target: str, port: int, store: Path, mode: str) -> ConfigManager:
    where: dict[str, Any] = {"SocketAcceptHost": "127.0.0.1", "SocketAcceptPort": port} if role == "acceptor" else {
        "SocketConnectHost": "127.0.0.1", "SocketConnectPort": port, "ReconnectInterval": 0.2}
    return ConfigManager.from_dict({
        "DEFAULT": {"ConnectionType": role, "HeartBtInt": 30, "StoreType": "database", "StorePath": str(store),
                    "PersistenceMode": mode, "ResetOnLogon": "Y", **where},
        "SESSION": [{"SenderCompID": sender, "TargetCompID": target}]})


async def run_live_demo(
    orders: int,
    md_burst: int,
    store_path: Path | None,
    *,
    persistence_mode: str = "group",
    timeout: float = 120.0,
) -> DemoSummary:
    """Run the demo; ``store_path`` is the SQLite file (a temporary one when None). Raises TimeoutError when a
    phase takes longer than ``timeout`` seconds."""
    with tempfile.TemporaryDirectory(prefix="pyfixmsg-plus-demo-") as scratch:
        path = store_path or Path(scratch) / "demo.db"
        return await _run(orders, md_burst, path, persistence_mode, timeout)


async def _run(orders: int, md_burst: int, path: Path, mode: str, timeout: float) -> DemoSummary:
    port = _free_port()
    exchange, trader = _Exchange(), _Trader()
    trader.expect_fills, trader.expect_md = orders, md_burst
    started = time.perf_counter()
    acceptor = await FixEngine.create(_config("acceptor", _TARGET, _SENDER, port, path, mode), exchange)
    exchange.engine = acceptor
    initiator = await FixEngine.create(_config("initiator", _SENDER, _TARGET, port, path, mode), trader)
    async with acceptor, initiator:
        if not await initiator.wait_logged_on(timeout) or not await acceptor.wait_logged_on(timeout):
            raise TimeoutError(f"the demo sessions did not log on within {timeout:g} s")
        logged_on = time.perf_counter()
        ids = NumericClOrdIdGenerator(prefix="ORD")
        for n in range(orders):
            await initiator.send_fields("D", [
                (11, ids.next_id()), (21, "1"), (38, 100), (40, "2"), (44, f"{100 + n % 50}.25"),
                (54, "1" if n % 2 else "2"), (55, "EUR/USD"), (60, "20240603-12:00:00.000")])
        if orders:
            await asyncio.wait_for(trader.all_fills.wait(), timeout)
        orders_done = time.perf_counter()
        # a publisher does not wait for each message: the sends of one burst share store transactions
        for first in range(0, md_burst, _MD_CHUNK):
            chunk = range(first, min(first + _MD_CHUNK, md_burst))
            await asyncio.gather(*(acceptor.send_fields("X", [
                (262, f"MD{n}"), (268, 1), (279, "0"), (269, "0" if n % 2 else "1"), (55, "EUR/USD"),
                (270, f"1.08{n % 100:02d}"), (271, 1_000_000)]) for n in chunk))
        if md_burst:
            await asyncio.wait_for(trader.all_md.wait(), timeout)
        md_done = time.perf_counter()
        await initiator.request_logoff(timeout=10.0)
    finished = time.perf_counter()
    return DemoSummary(
        orders=orders, fills=trader.fills, md_messages=trader.md, logon_seconds=logged_on - started,
        orders_seconds=orders_done - logged_on, md_seconds=md_done - orders_done,
        total_seconds=finished - started, store_path=path, persistence_mode=mode)


__all__ = ["DemoSummary", "run_live_demo"]
