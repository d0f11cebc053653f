"""Helpers for the engine-vs-QuickFIX tests (the C++ peer and the Python binding alike): our engine's
configurations, orders and fills, and the scenario steps both test files share.

The peers (``peer.QuickFixPeer``, ``qfpy_harness.QuickFixPythonPeer``) are
:class:`~pyfixmsg_plus.testing.peer_process.EventLinePeer` processes: from a scenario they are driven with their
asyncio forms (``async with``, ``astart``, ``await_event``, ``await_exit``, ``astop``), so our engine keeps running
on the event loop while a peer is waited for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from pyfixmsg_plus.config import ConfigManager
from pyfixmsg_plus.engine import FixEngine
from pyfixmsg_plus.testing import OrderFiller, RecordingApplication
from pyfixmsg_plus.testing.peer_process import Event, EventLinePeer

T = TypeVar("T")

#: CompIDs: our engine and the QuickFIX peer
OURS, QUICKFIX = "PYFIX", "QFIX"
#: upper bound of one scenario, in seconds: a hung scenario fails instead of blocking CI
SCENARIO_TIMEOUT_S = 120.0
#: HeartBtInt(108) of the idle-period tests, in seconds (QuickFIX accepts no less than 1)
SHORT_HEARTBEAT_S = 1


def run_scenario(coro: Coroutine[Any, Any, T], timeout_s: float = SCENARIO_TIMEOUT_S) -> T:
    """Run ``coro`` in a fresh event loop, failing it after ``timeout_s`` seconds."""
    return asyncio.run(asyncio.wait_for(coro, timeout_s))


def _store(store: Path | None) -> dict[str, Any]:
    if store is None:
        return {"StoreType": "memory"}
    return {"StoreType": "database", "StorePath": str(store)}


def _tls_keys(tls: dict[str, Any] | None) -> dict[str, Any]:
    return {"SocketUseSSL": "Y", **tls} if tls else {}


def our_initiator(
    port: int, *, store: Path | None = None, heartbeat_s: int = 30, tls: dict[str, Any] | None = None
) -> ConfigManager:
    """Our initiator PYFIX -> QFIX on 127.0.0.1:``port``; ``tls``: extra SSL keys (SocketUseSSL is set)."""
    defaults: dict[str, Any] = {
        "ConnectionType": "initiator", "SocketConnectHost": "127.0.0.1", "SocketConnectPort": port,
        "HeartBtInt": heartbeat_s, "ReconnectInterval": 0.2, "ReconnectMaxInterval": 1, "ReconnectJitter": 0,
        **_store(store), **_tls_keys(tls),
    }  # fmt: skip
    return ConfigManager.from_dict({"DEFAULT": defaults, "SESSION": [{"SenderCompID": OURS, "TargetCompID": QUICKFIX}]})


def our_acceptor(
    port: int, *, store: Path | None = None, heartbeat_s: int = 30, tls: dict[str, Any] | None = None
) -> ConfigManager:
    """Our acceptor PYFIX serving QFIX on 127.0.0.1:``port``; ``tls``: extra SSL keys (SocketUseSSL is set)."""
    defaults: dict[str, Any] = {
        "ConnectionType": "acceptor", "SocketAcceptHost": "127.0.0.1", "SocketAcceptPort": port,
        "HeartBtInt": heartbeat_s, **_store(store), **_tls_keys(tls),
    }  # fmt: skip
    return ConfigManager.from_dict({"DEFAULT": defaults, "SESSION": [{"SenderCompID": OURS, "TargetCompID": QUICKFIX}]})


def new_order(engine: Any, clordid: str) -> Any:
    """A NewOrderSingle (35=D): limit order to buy 100 EUR/USD at 1.0850."""
    return engine.fixmsg({35: "D", 11: clordid, 21: "1", 55: "EUR/USD", 54: "1", 38: 100, 40: "2", 44: "1.085",
                          60: "20240603-12:00:00"})  # fmt: skip


async def send_orders(engine: Any, clordids: list[str]) -> None:
    """Send one NewOrderSingle per ClOrdID, in order."""
    for clordid in clordids:
        assert await engine.send_message(new_order(engine, clordid))


def sequence_numbers(engine: Any) -> tuple[int, int]:
    """(next outbound, next expected inbound) MsgSeqNum of the engine's primary session."""
    session = engine.session
    return session.next_sender_seqnum, session.next_target_seqnum


def clordids(prefix: str, count: int, first: int = 0) -> list[str]:
    """ClOrdIDs (11) ``prefix + n`` for n from ``first``, ``count`` of them."""
    return [f"{prefix}{n}" for n in range(first, first + count)]


def assert_fills(reports: list[Any], expected_clordids: list[str]) -> None:
    """Every report is a full fill (35=8, 150=F, 39=2) and the ClOrdIDs are the expected ones, in order."""
    assert [r[11] for r in reports] == expected_clordids
    assert {(r[35], r[150], r[39]) for r in reports} == {("8", "F", "2")}


def assert_gap_filled_by_the_peer(summary: Event | None) -> Event:
    """The peer received our ResendRequest (2) and answered it with SequenceReset-GapFill (4); returns the summary."""
    assert summary is not None
    assert summary["admin_received"].get("2", 0) >= 1  # our ResendRequest
    assert summary["admin_sent"].get("4", 0) >= 1  # its SequenceReset-GapFill
    return summary


async def open_acceptor(app: OrderFiller, port: int, **options: Any) -> FixEngine:
    """Our acceptor on 127.0.0.1:``port`` (see :func:`our_acceptor` for ``options``), answering orders via ``app``."""
    engine = await FixEngine.create(our_acceptor(port, **options), app)
    app.bind(engine)
    await engine.open()
    return engine


async def run_initiator_to_its_end(peer: EventLinePeer, ours: FixEngine, timeout_s: float = 30.0) -> None:
    """Starts the peer's initiator, which logs on to ``ours``, does its workload, logs out and exits 0; then
    stops the peer (whatever happened) and disconnects our acceptor."""
    try:
        await peer.astart()
        assert await peer.await_exit(timeout_s) == 0, peer.output
    finally:
        await peer.astop()
        await ours.disconnect()


async def our_initiator_recovers_the_peers_gap(
    peer: EventLinePeer, ours: FixEngine, app: RecordingApplication, skipped: tuple[int, int], orders: int = 20
) -> Event:
    """Our logged-on initiator sends ``orders`` NewOrderSingle (35=D) to a peer acceptor that jumps its MsgSeqNum
    over ``skipped`` (from, to); each fill (35=8) reaches our application once. Logs out; returns the peer's
    ``logout`` event, whose numbers the caller compares with ours."""
    assert await ours.wait_logged_on(10)
    await send_orders(ours, clordids("G", orders))
    assert_fills(await app.wait_for_count(orders, "8", timeout=20), clordids("G", orders))
    reported = await peer.await_event("skipped_seq", timeout_s=5)
    assert (reported["from"], reported["to"]) == skipped
    await asyncio.sleep(0.3)  # time for a duplicate to arrive, if one were sent
    assert len(app.received) == orders
    assert await ours.request_logoff(timeout=10)
    logout = await peer.await_event("logout", timeout_s=10)
    assert sequence_numbers(ours)[1] == logout["next_sender_seq"]
    return logout


def assert_each_order_filled_once(app: OrderFiller, peer_summary: Event | None, orders: int) -> None:
    """Our acceptor filled each of the peer's ``orders`` once (none twice, despite the gap and its fill), and the
    peer got every report after recovering the gap with ResendRequest (2) / SequenceReset-GapFill (4)."""
    summary = assert_gap_filled_by_the_peer(peer_summary)
    assert summary["reports_received"] == orders
    assert app.fills == orders  # every order filled once, none twice
    assert len({m[11] for m in app.received}) == orders
