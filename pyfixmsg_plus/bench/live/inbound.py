"""Inbound blast: the QuickFIX peer (initiator) sends N MarketDataIncrementalRefresh (35=X, 1-5 NoMDEntries(268)
each) as fast as it can; the receiving acceptor frames, checks sequence, delivers and persists them.

Figure: messages/s from the first to the last refresh delivered to the application. Rows: our acceptor with each
store variant, and a QuickFIX acceptor receiving from the same QuickFIX initiator (the ratios' reference).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from pyfixmsg_plus.bench.live.engines import (
    HEARTBEAT_S,
    INBOUND_STORES,
    OURS,
    PEER_ACCEPTOR,
    PEER_INITIATOR,
    QUICKFIX_SIDE,
    CountingApplication,
    StoreVariant,
    acceptor_config,
    in_thread,
)
from pyfixmsg_plus.bench.live.results import QUICKFIX, LiveResult, unavailable
from pyfixmsg_plus.bench.peers import PeerAvailability, find_peer
from pyfixmsg_plus.transport.loop import run as run_loop

SCENARIO = "inbound blast"
#: MsgType(35) of the blast: MarketDataIncrementalRefresh
MD_REFRESH = "X"


def timeout_for(count: int) -> float:
    """Longest wait for a blast of ``count`` messages, seconds: generous for the pure twins on a busy machine."""
    return 60.0 + count / 2_000


async def _ours(count: int, store: StoreVariant, scratch: Path, peers: PeerAvailability) -> LiveResult:
    from pyfixmsg_plus.engine import FixEngine

    port = peers.free_port()
    app = CountingApplication(MD_REFRESH, count)
    engine = await FixEngine.create(acceptor_config(port, store, scratch), app)
    await engine.open()
    sender = peers.peer("initiator", sender_comp_id=QUICKFIX_SIDE, target_comp_id=OURS, port=port,
                        md_burst=count, heartbeat_s=HEARTBEAT_S, work_timeout_s=timeout_for(count))  # fmt: skip
    try:
        await in_thread(sender.start)
        await asyncio.wait_for(app.done.wait(), timeout_for(count))
        await in_thread(sender.wait, timeout_for(count))
    finally:
        await in_thread(sender.stop)
        await engine.disconnect()
    summary = sender.summary or {}
    return LiveResult(SCENARIO, f"pyfixmsg-plus acceptor, {store.label}", app.count, app.seconds,
                      details={"peer_md_sent": summary.get("md_sent"), "store": store.label})  # fmt: skip


def quickfix_inbound(count: int, peers: PeerAvailability) -> LiveResult:
    """QuickFIX initiator -> QuickFIX acceptor, the same blast: the acceptor's first-to-last figure."""
    timeout = timeout_for(count)
    with peers.peer("acceptor", sender_comp_id=PEER_ACCEPTOR, target_comp_id=PEER_INITIATOR,
                    heartbeat_s=HEARTBEAT_S) as receiver:  # fmt: skip
        sender = peers.peer("initiator", sender_comp_id=PEER_INITIATOR, target_comp_id=PEER_ACCEPTOR,
                            port=receiver.port, md_burst=count, heartbeat_s=HEARTBEAT_S,
                            work_timeout_s=timeout)  # fmt: skip
        try:
            sender.start()
            sender.wait(timeout)
            receiver.wait_for("logout", timeout_s=30)
        finally:
            sender.stop()
    summary = receiver.summary or {}
    return LiveResult(SCENARIO, QUICKFIX, int(summary.get("md_received", 0)), float(summary.get("elapsed_s", 0.0)),
                      details={"peer_md_sent": (sender.summary or {}).get("md_sent")})  # fmt: skip


def run_inbound(
    count: int = 20_000,
    stores: Sequence[StoreVariant] = INBOUND_STORES,
    on_step: Callable[[str], None] | None = None,
    use_uvloop: bool | None = None,
) -> list[LiveResult]:
    """The QuickFIX reference row, then one row per store variant of our acceptor (``count`` refreshes each)."""
    peers = find_peer()
    names = [QUICKFIX] + [f"pyfixmsg-plus acceptor, {s.label}" for s in stores]
    if not peers.available:
        return [unavailable(SCENARIO, name, peers.reason) for name in names]
    step = on_step or (lambda _: None)
    step(f"{SCENARIO}: {QUICKFIX}")
    results = [quickfix_inbound(count, peers)]
    with tempfile.TemporaryDirectory(prefix="pyfixmsg-plus-bench-") as scratch:
        for store in stores:
            step(f"{SCENARIO}: our acceptor, {store.label}")
            results.append(run_loop(_ours(count, store, Path(scratch), peers), use_uvloop))
    return results
