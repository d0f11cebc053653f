"""Recovery: time to resend N stored messages on a ResendRequest (35=2) asking for everything.

Our initiator's store is pre-filled through the store API with N outbound MarketDataIncrementalRefresh frames
(35=X, 1-5 NoMDEntries, numbered 1..N), so its Logon goes out as N+1. The counterparty
(:mod:`pyfixmsg_plus.bench.live.recovery_peer`, its own process) answers the Logon, sends ResendRequest
BeginSeqNo(7)=1 EndSeqNo(16)=0, and times the answer until the last resent frame arrives. Rows: our initiator with
the memory store and with the aiosqlite store, and a QuickFIX C++ initiator facing the same counterparty (its
store is in memory, so it first sends the N refreshes live, ``--md-burst N``, then is asked for them again).

Figure: resent messages per second, from the ResendRequest written to the frame that covered 1..N+1 read.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pyfixmsg_plus.application import Application
from pyfixmsg_plus.bench.corpus import iter_messages
from pyfixmsg_plus.bench.live.driver_process import DriverProcess, free_port
from pyfixmsg_plus.bench.live.engines import (
    AIOSQLITE_WRITE_BEHIND,
    MEMORY,
    OURS,
    QUICKFIX_SIDE,
    StoreVariant,
    in_thread,
)
from pyfixmsg_plus.bench.live.results import QUICKFIX_PREFIX, LiveResult, unavailable
from pyfixmsg_plus.bench.peers import PeerAvailability, find_peer
from pyfixmsg_plus.config import ConfigManager
from pyfixmsg_plus.store import FrameRecord, MessageStore, SessionKey
from pyfixmsg_plus.transport.loop import run as run_loop

SCENARIO = "recovery: resend on 7=1 16=0"
QUICKFIX_ROW = f"{QUICKFIX_PREFIX} initiator, memory store (sent live first)"
COUNTERPARTY = "CPTY"
DEFAULT_COUNT = 100_000
#: HeartBtInt(108), seconds: no heartbeat inside a measurement
RECOVERY_HEARTBEAT_S = 30
#: frames written to the store per transaction while pre-filling
PREFILL_CHUNK = 10_000
PEER_MODULE = "pyfixmsg_plus.bench.live.recovery_peer"
#: our store variants (aiosqlite's persistence mode does not matter here: the frames are already stored)
RECOVERY_STORES = (MEMORY, AIOSQLITE_WRITE_BEHIND)


def our_row(store: StoreVariant) -> str:
    return f"pyfixmsg-plus initiator, {store.store_type} store"


def timeout_for(count: int) -> float:
    """Longest wait for ``count`` messages sent or resent, seconds: generous for the pure twins."""
    return 60.0 + count / 1_000


def steps_for(stores: Sequence[StoreVariant] = RECOVERY_STORES) -> int:
    """Progress steps of :func:`run_recovery`: the QuickFIX row and one per store."""
    return 1 + len(stores)


def initiator_config(port: int, store: StoreVariant, scratch: Path) -> ConfigManager:
    """Our initiator PYFIX -> CPTY on 127.0.0.1:``port``, default write-buffer settings (resends are paced, so a
    resend of any size fits)."""
    defaults: dict[str, Any] = {
        "ConnectionType": "initiator", "SocketConnectHost": "127.0.0.1", "SocketConnectPort": port,
        "HeartBtInt": RECOVERY_HEARTBEAT_S, "ReconnectInterval": 0.2, "ReconnectMaxInterval": 1,
        "ReconnectJitter": 0, **store.settings(scratch),
    }  # fmt: skip
    return ConfigManager.from_dict(
        {"DEFAULT": defaults, "SESSION": [{"SenderCompID": OURS, "TargetCompID": COUNTERPARTY}]}
    )


async def prefill(store: MessageStore, session: SessionKey, count: int) -> None:
    """Store ``count`` outbound refreshes numbered 1..count through the store API, PREFILL_CHUNK per
    transaction (frames from the benchmark corpus, addressed ``session``'s sender -> target)."""
    now = time.time()
    messages = iter_messages(count, mix={"X": 1.0}, sender=session.sender_comp_id, target=session.target_comp_id)
    chunk: list[FrameRecord] = []
    for seqnum, message in enumerate(messages, start=1):
        chunk.append(FrameRecord(seqnum, message.msg_type, now, message.frame))
        if len(chunk) == PREFILL_CHUNK:
            await store.save_outbound(session, chunk)
            chunk = []
    if chunk:
        await store.save_outbound(session, chunk)


async def _counterparty(scratch: Path, name: str, until_seq: int) -> tuple[DriverProcess, int]:
    port = free_port()
    peer = DriverProcess(scratch / f"counterparty-{name}.log")
    await peer.start(PEER_MODULE, ["--port", str(port), "--until-seq", str(until_seq), "--sender", COUNTERPARTY])
    await peer.expect("listening")
    return peer, port


def _row(implementation: str, figures: dict[str, Any], count: int, **details: Any) -> LiveResult:
    kept = {key: figures[key] for key in ("resent", "gap_fills", "poss_dup", "bytes")}
    return LiveResult(SCENARIO, implementation, int(figures["resent"]), float(figures["seconds"]),
                      details={"stored": count, **kept, **details})  # fmt: skip


async def _ours(count: int, store: StoreVariant, scratch: Path) -> LiveResult:
    from pyfixmsg_plus.engine import FixEngine

    peer, port = await _counterparty(scratch, store.label, until_seq=count + 1)
    try:
        engine = await FixEngine.create(initiator_config(port, store, scratch), Application())
        started = time.perf_counter()
        await engine.message_store.open()  # the engine opens it again: opening is idempotent
        await prefill(engine.message_store, engine.runner().key, count)
        prefill_s = time.perf_counter() - started
        try:
            await engine.open()
            figures = await peer.expect("resent", timeout_for(count))
            await peer.expect("bye", 30.0)
        finally:
            await engine.disconnect(graceful=False)
    finally:
        await peer.stop()
    return _row(our_row(store), figures, count, prefill_seconds=prefill_s, store=store.label)


async def _quickfix(count: int, peers: PeerAvailability, scratch: Path) -> LiveResult:
    # QuickFIX's Logon is 1 and its refreshes 2..count+1: the counterparty waits for count+1
    peer, port = await _counterparty(scratch, "quickfix", until_seq=count + 1)
    initiator = peers.peer("initiator", sender_comp_id=QUICKFIX_SIDE, target_comp_id=COUNTERPARTY, port=port,
                           md_burst=count, linger=True, heartbeat_s=RECOVERY_HEARTBEAT_S,
                           work_timeout_s=timeout_for(count))  # fmt: skip
    try:
        await in_thread(initiator.start)
        figures = await peer.expect("resent", timeout_for(count))
        await peer.expect("bye", 30.0)
    finally:
        await in_thread(initiator.stop)
        await peer.stop()
    return _row(QUICKFIX_ROW, figures, count)


def recovery_steps(stores: Sequence[StoreVariant] = RECOVERY_STORES) -> int:
    """Progress steps :func:`run_recovery` advances: the QuickFIX row (even without the peer), then each store."""
    return 1 + len(stores)


async def _run_all(count: int, stores: Sequence[StoreVariant], peers: PeerAvailability,
                   step: Callable[[str], None]) -> list[LiveResult]:  # fmt: skip
    results: list[LiveResult] = []
    with tempfile.TemporaryDirectory(prefix="pyfixmsg-plus-recovery-") as scratch:
        step(f"{SCENARIO}: {QUICKFIX_ROW}")
        if peers.available:
            results.append(await _quickfix(count, peers, Path(scratch)))
        else:
            results.append(unavailable(SCENARIO, QUICKFIX_ROW, peers.reason))
        for store in stores:
            step(f"{SCENARIO}: {our_row(store)}")
            results.append(await _ours(count, store, Path(scratch)))
    return results


def run_recovery(
    count: int = DEFAULT_COUNT,
    stores: Sequence[StoreVariant] = RECOVERY_STORES,
    on_step: Callable[[str], None] | None = None,
    use_uvloop: bool | None = None,
) -> list[LiveResult]:
    """The QuickFIX row (or why it is unavailable), then one row per store of ours; ``count`` resent each."""
    if count < 1:
        raise ValueError(f"recovery: count = {count} stored messages must be at least 1")
    peers = find_peer()
    return run_loop(_run_all(count, stores, peers, on_step or (lambda _: None)), use_uvloop)
