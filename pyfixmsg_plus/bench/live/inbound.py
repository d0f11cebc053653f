"""Inbound blast: a sender that is not the bottleneck sends N MarketDataIncrementalRefresh (35=X, 1-5
NoMDEntries(268) each) to an acceptor; the acceptor frames, checks sequence, delivers and persists them.

The sender is :mod:`pyfixmsg_plus.bench.live.blaster` for every row: a raw FIX 4.4 initiator process writing
pre-encoded refreshes in 256 KiB chunks (QuickFIX's own initiator tops out near 100 k msg/s here, which would hide
any faster receiver). Rows: a QuickFIX C++ acceptor (the ratios' reference, CompIDs QFA/QFI), then our acceptor
(CompIDs PYFIX/QFIX) per :data:`~pyfixmsg_plus.bench.live.engines.INBOUND_STORES` variant: memory, aiosqlite
write_behind and aiosqlite group with one ``fromApp`` per message, and memory and aiosqlite write_behind with one
``onBatch`` per socket read.

Figure, the same for every row: the refreshes the receiver's application counted, over the time on the blaster's
clock from writing the first refresh (right after the Logon answer) to receiving the answer to the Logout that
follows the last refresh. A receiver answers that Logout only after it has handled every message before it, so
no row gets its first socket read for free (a first-to-last figure would not count the first batch, which
with onBatch can be thousands of messages). The receiver's own first-to-last time is kept in ``details``.
"""

from __future__ import annotations

import socket
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pyfixmsg_plus.bench.live.blaster import BlastSummary, start_blaster
from pyfixmsg_plus.bench.live.engines import (
    HEARTBEAT_S,
    INBOUND_STORES,
    OURS,
    PEER_ACCEPTOR,
    PEER_INITIATOR,
    QUICKFIX_SIDE,
    InboundVariant,
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
    """Longest wait for a blast of ``count`` messages, seconds: encoding and receiving, generous for the pure
    twins on a busy machine."""
    return 60.0 + count / 2_000


def blast_details(blast: BlastSummary, receiver_seconds: float) -> dict[str, Any]:
    """What every row keeps beside its figure: the sender's side of the run and the receiver's first-to-last."""
    return {
        "peer_md_sent": blast.sent,
        "sender_write_seconds": blast.write_seconds,
        "sender_write_rate": blast.sent / blast.write_seconds if blast.write_seconds > 0 else 0.0,
        "receiver_first_to_last_s": receiver_seconds,
    }


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that was free a moment ago (for our acceptor)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _variant(row: InboundVariant | StoreVariant) -> InboundVariant:
    # run_inbound's callers may still pass bare StoreVariants: those are fromApp rows
    return row if isinstance(row, InboundVariant) else InboundVariant(row)


async def _ours(count: int, variant: InboundVariant, scratch: Path) -> LiveResult:
    from pyfixmsg_plus.engine import FixEngine

    port = free_port()
    app = variant.application(MD_REFRESH, count)
    engine = await FixEngine.create(acceptor_config(port, variant.store, scratch), app)
    await engine.open()
    try:
        blaster = start_blaster(port, QUICKFIX_SIDE, OURS, count, HEARTBEAT_S)
        blast = await in_thread(blaster.wait, timeout_for(count))
    finally:
        await engine.disconnect()
    details = blast_details(blast, app.seconds) | {"store": variant.store.label}
    if variant.on_batch:
        details |= {"batches": getattr(app, "batches", 0), "first_batch": getattr(app, "first_batch", 0)}
    return LiveResult(SCENARIO, f"pyfixmsg-plus acceptor, {variant.label}", app.count, blast.blast_seconds or 0.0,
                      details=details)  # fmt: skip


def quickfix_inbound(count: int, peers: PeerAvailability) -> LiveResult:
    """The blaster -> QuickFIX acceptor (QFA, serving QFI), the same blast and the same figure."""
    timeout = timeout_for(count)
    with peers.peer("acceptor", sender_comp_id=PEER_ACCEPTOR, target_comp_id=PEER_INITIATOR,
                    heartbeat_s=HEARTBEAT_S) as receiver:  # fmt: skip
        blast = start_blaster(receiver.port, PEER_INITIATOR, PEER_ACCEPTOR, count, HEARTBEAT_S).wait(timeout)
        receiver.wait_for("logout", timeout_s=30)
    summary = receiver.summary or {}
    details = blast_details(blast, float(summary.get("elapsed_s", 0.0)))
    return LiveResult(SCENARIO, QUICKFIX, int(summary.get("md_received", 0)), blast.blast_seconds or 0.0,
                      details=details)  # fmt: skip


def run_inbound(
    count: int = 20_000,
    stores: Sequence[InboundVariant | StoreVariant] = INBOUND_STORES,
    on_step: Callable[[str], None] | None = None,
    use_uvloop: bool | None = None,
) -> list[LiveResult]:
    """The QuickFIX reference row, then one row per variant of our acceptor (``count`` refreshes each).

    ``stores``: InboundVariants, or StoreVariants (taken as fromApp rows). Without the QuickFIX peer only its row
    is unavailable (with the reason): the blaster needs no peer.
    """
    peers = find_peer()
    step = on_step or (lambda _: None)
    if peers.available:
        step(f"{SCENARIO}: {QUICKFIX}")
        results = [quickfix_inbound(count, peers)]
    else:
        results = [unavailable(SCENARIO, QUICKFIX, peers.reason)]
    with tempfile.TemporaryDirectory(prefix="pyfixmsg-plus-bench-") as scratch:
        for variant in map(_variant, stores):
            step(f"{SCENARIO}: our acceptor, {variant.label}")
            results.append(run_loop(_ours(count, variant, Path(scratch)), use_uvloop))
    return results


__all__ = ["MD_REFRESH", "SCENARIO", "quickfix_inbound", "run_inbound", "timeout_for"]
