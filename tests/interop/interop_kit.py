"""Helpers for the engine-vs-QuickFIX tests: our engine's configurations, orders, and the peer driven from asyncio.

The QuickFIX peer's harness (``peer.py``) blocks (it waits on a process and a reader thread), so every call that
waits is run in a worker thread (:func:`in_thread`) while our engine keeps running on the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from pyfixmsg_plus.config import ConfigManager

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


async def in_thread(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``call(*args, **kwargs)`` in a worker thread, so our engine keeps running while the peer harness waits."""
    return await asyncio.to_thread(call, *args, **kwargs)


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
