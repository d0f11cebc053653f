"""Inbound blast: a sender that is not the bottleneck sends N MarketDataIncrementalRefresh (35=X, 1-5
NoMDEntries(268) each) to an acceptor; the acceptor frames, checks sequence, delivers and persists them.

The sender is :mod:`pyfixmsg_plus.bench.live.blaster` for every row: a raw FIX 4.4 initiator process writing
pre-encoded refreshes in 256 KiB chunks (QuickFIX's own initiator tops out near 100 k msg/s here, which would hide
any faster receiver). Rows: a QuickFIX C++ acceptor (the ratios' reference, CompIDs QFA/QFI), a QuickFIX Python
binding acceptor (:mod:`~pyfixmsg_plus.bench.live.qfpy_rows`, the second reference), then our acceptor
(CompIDs PYFIX/QFIX) per :data:`~pyfixmsg_plus.bench.live.engines.INBOUND_STORES` variant: memory, aiosqlite
write_behind and aiosqlite group with one ``fromApp`` per message, and memory and aiosqlite write_behind with one
``onBatch`` per socket read.

Figure, the same for every row: the refreshes the receiver's application counted, over the time on the blaster's
clock from writing the first refresh (right after the Logon answer) to receiving the answer to the Logout that
follows the last refresh. A receiver answers that Logout only after it has handled every message before it, so
no row gets its first socket read for free (a first-to-last figure would not count the first batch, which
with onBatch can be thousands of messages). The receiver's own first-to-last time is kept in ``details``.

Rows with a store (aiosqlite) are timed until every refresh is persisted, not merely delivered: a write-behind
acceptor answers the Logout while its inbound writer still holds messages. From the Logout answer on, the
session runner's ``flush`` is awaited; the figure runs from the sender's first write to the end of that flush,
and ``messages`` is the refreshes then found committed in the store file (``SELECT count(*)`` from a separate
connection; ``details["rows_stored"]``, ``details["all_persisted"]``). The delivered figure stays in
``details["delivered_per_s"]``.

Last row: the raw batched SQLite ceiling of the same run (:mod:`pyfixmsg_plus.bench.sqlite_ceiling`): the frames
a store row kept, inserted again by plain sqlite3 into a new file of our stores' schema (WAL, the store's
``synchronous``, as many rows per transaction as our writers' batches), by each of ``executemany``, multi-row
INSERT and run blobs, keeping the fastest (the label names it). Persisted rows carry their ratio
to it (``details["vs_sqlite_ceiling"]``, and the table's "vs SQLite ceiling" column).

Our rows also keep the CPU time the acceptor's event-loop thread spent from its Logon answer to its Logout answer
(:class:`~pyfixmsg_plus.bench.live.engines.LogoutAnswerClock`): ``details["cpu_ns_per_message"]`` (over the
refreshes delivered) does not depend on how much of a core the loop got, and ``details["loop_cpu_share"]`` is that
CPU time over the blast (the blaster's first write to the Logout answer): how much of the window the loop was on
CPU. Starting at the Logon answer rather than at the first delivery keeps the framing of the first socket read
inside; the aiosqlite writer thread's work is not in it (it is not the loop's).

``repeat`` > 1 runs every row that many times in interleaved rounds (:mod:`~pyfixmsg_plus.bench.live.repeat`):
each row's figure is the median of its runs, the min, the max and every run's figures are in its details, and the
ceiling ratios are taken between medians.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
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
    LogoutAnswerClock,
    StoreVariant,
    acceptor_config,
    in_thread,
)
from pyfixmsg_plus.bench.live.qfpy_rows import planned_binding_row, qfpy_inbound
from pyfixmsg_plus.bench.live.repeat import combine_rounds
from pyfixmsg_plus.bench.live.results import (
    QUICKFIX,
    LiveResult,
    ceiling_label,
    ceiling_row,
    is_persisted_row,
)
from pyfixmsg_plus.bench.live.rounds import PlannedRow, no_step, planned_steps, run_planned_rounds, unmeasured_row
from pyfixmsg_plus.bench.peers import PeerAvailability, find_peer
from pyfixmsg_plus.bench.sqlite_ceiling import (
    CEILING_BATCH,
    DEFAULT_SYNCHRONOUS,
    count_stored,
    measure_best_ceiling,
    stored_rows,
)
from pyfixmsg_plus.testing.peer_process import free_port
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


def loop_cpu_details(loop_cpu_seconds: float | None, delivered: int, blast_seconds: float) -> dict[str, Any]:
    """Our acceptor's loop-thread CPU over the blast: ``loop_cpu_seconds``, ``cpu_ns_per_message`` (nanoseconds
    per delivered refresh) and ``loop_cpu_share`` (CPU seconds over the blast's seconds); empty when the CPU was
    not read (no Logon or Logout answer) or nothing was delivered."""
    if loop_cpu_seconds is None or delivered <= 0 or blast_seconds <= 0:
        return {}
    return {
        "loop_cpu_seconds": loop_cpu_seconds,
        "cpu_ns_per_message": loop_cpu_seconds * 1e9 / delivered,
        "loop_cpu_share": loop_cpu_seconds / blast_seconds,
    }


def _variant(row: InboundVariant | StoreVariant) -> InboundVariant:
    # run_inbound's callers may still pass bare StoreVariants: those are fromApp rows
    return row if isinstance(row, InboundVariant) else InboundVariant(row)


async def _time_persisted(engine: Any, app: LogoutAnswerClock) -> float:
    """``time.perf_counter()`` once everything our acceptor received before answering the Logout is stored: the
    answer is sent after every earlier message was handled and handed to the inbound writer, and the runner's
    ``flush`` returns once the writers committed what they hold."""
    await app.logout_sent.wait()
    await engine.runner().flush()
    return time.perf_counter()


def persisted_seconds(blast_seconds: float, logout_sent_at: float, persisted_at: float) -> float:
    """Seconds from the sender's first write to the moment every message was stored: the sender's first write
    to its receipt of our Logout answer, plus our time from that answer to the end of the flush.

    The two clocks meet at the Logout answer, which ``logout_sent_at`` notes a little before the sender receives
    it (before the answer is itself stored and written), so the sum errs on the long side by that moment.
    """
    return blast_seconds + max(0.0, persisted_at - logout_sent_at)


def persistence_details(
    delivered: int, blast_seconds: float, flush_after_logout_s: float, rows_stored: int, synchronous: str
) -> dict[str, Any]:
    """What a store row keeps beside its persisted figure: the delivered-to-application figure and the proof."""
    return {
        "delivered_messages": delivered,
        "delivered_seconds": blast_seconds,
        "delivered_per_s": delivered / blast_seconds if blast_seconds > 0 else 0.0,
        "store_flush_after_logout_s": flush_after_logout_s,
        "rows_stored": rows_stored,
        "all_persisted": rows_stored == delivered,
        "synchronous": synchronous,
    }


def _store_synchronous(engine: Any) -> str:
    stores = engine.stores
    return str(getattr(stores[0], "synchronous", DEFAULT_SYNCHRONOUS)) if stores else DEFAULT_SYNCHRONOUS


async def _ours(count: int, variant: InboundVariant, scratch: Path) -> LiveResult:
    """Our acceptor in ``scratch`` (its store file goes there) against one blast of ``count`` refreshes.

    Memory rows: the delivered figure (first write to the Logout answer). Store rows: the persisted figure (first
    write until the store holds every refresh, counted with ``SELECT count(*)`` from a separate connection);
    ``messages`` is then the rows found stored, and the delivered figure stays in ``details``.
    """
    from pyfixmsg_plus.engine import FixEngine

    port = free_port()
    app = variant.application(MD_REFRESH, count)
    engine = await FixEngine.create(acceptor_config(port, variant.store, scratch), app)
    await engine.open()
    persisted: asyncio.Task[float] | None = None
    try:
        if variant.store.persists:
            persisted = asyncio.create_task(_time_persisted(engine, app))
        blaster = start_blaster(port, QUICKFIX_SIDE, OURS, count, HEARTBEAT_S)
        blast = await in_thread(blaster.wait, timeout_for(count))
        blast_seconds = blast.blast_seconds or 0.0
        details = blast_details(blast, app.seconds) | {"store": variant.store.label}
        details |= loop_cpu_details(app.loop_cpu_seconds, app.count, blast_seconds)
        if variant.on_batch:
            details |= {"batches": getattr(app, "batches", 0), "first_batch": getattr(app, "first_batch", 0)}
        messages, seconds = app.count, blast_seconds
        store_path = variant.store.store_path(scratch)
        if persisted is not None and store_path is not None:
            persisted_at = await asyncio.wait_for(persisted, timeout_for(count))
            rows_stored = await in_thread(count_stored, store_path, MD_REFRESH)
            flush_s = max(0.0, persisted_at - app.logout_sent_at)
            details |= persistence_details(app.count, blast_seconds, flush_s, rows_stored, _store_synchronous(engine))
            messages, seconds = rows_stored, persisted_seconds(blast_seconds, app.logout_sent_at, persisted_at)
    finally:
        if persisted is not None and not persisted.done():
            persisted.cancel()
        await engine.disconnect()
    return LiveResult(SCENARIO, f"pyfixmsg-plus acceptor, {variant.label}", messages, seconds, details=details)


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


def sqlite_ceiling_row(store_path: Path, synchronous: str, into: Path) -> LiveResult | None:
    """The raw batched SQLite ceiling of this run: the refreshes our store kept at ``store_path`` inserted again,
    by plain sqlite3, into new files of the same schema in the directory ``into``, by each method, the faster
    kept (None when that store holds none)."""
    rows = stored_rows(store_path, MD_REFRESH)
    if not rows:
        return None
    ceiling = measure_best_ceiling(into, rows, CEILING_BATCH, synchronous)
    details = {"batch": ceiling.batch, "synchronous": ceiling.synchronous, "method": ceiling.method,
               "frame_bytes_mean": sum(len(row[3]) for row in rows) / len(rows)}  # fmt: skip
    label = ceiling_label(ceiling.batch, ceiling.synchronous, ceiling.method)
    return LiveResult(SCENARIO, label, ceiling.rows, ceiling.seconds, details=details)


def with_ceiling_ratios(results: Sequence[LiveResult], ceiling: LiveResult) -> list[LiveResult]:
    """``results`` with ``vs_sqlite_ceiling`` (rate over the ceiling's) in the details of every persisted row."""
    return [
        replace(row, details=row.details | {"vs_sqlite_ceiling": row.messages_per_second / ceiling.messages_per_second})
        if is_persisted_row(row) and ceiling.messages_per_second > 0 else row
        for row in results
    ]  # fmt: skip


def _ceiling_source(measured: Sequence[tuple[InboundVariant, Path, LiveResult]]) -> tuple[Path, str] | None:
    """The store file (and its synchronous level) of the first row that persisted every refresh."""
    for variant, scratch, row in measured:
        path = variant.store.store_path(scratch)
        if path is not None and row.details.get("all_persisted"):
            return path, str(row.details.get("synchronous", DEFAULT_SYNCHRONOUS))
    return None


def _ours_row(count: int, variant: InboundVariant, number: int, use_uvloop: bool | None,
              measured: list[tuple[InboundVariant, Path, LiveResult]]) -> PlannedRow:  # fmt: skip
    """Our acceptor's ``variant`` (the ``number``-th of the round) in a plan: measured in a directory of its own
    (two rows of the same store type must not share, and count, one file), noted in ``measured`` for the ceiling."""

    def measure(scratch: Path) -> LiveResult:
        row_dir = scratch / f"row{number}"
        row_dir.mkdir()
        row = run_loop(_ours(count, variant, row_dir), use_uvloop)
        measured.append((variant, row_dir, row))
        return row

    return PlannedRow(f"{SCENARIO}: our acceptor, {variant.label}", measure)


def _ceiling_row(measured: Sequence[tuple[InboundVariant, Path, LiveResult]]) -> PlannedRow:
    """The raw batched SQLite ceiling in a plan: the frames of the first row of ``measured`` that persisted every
    refresh (nothing to report when none did)."""

    def measure(scratch: Path) -> LiveResult | None:
        source = _ceiling_source(measured)
        return None if source is None else sqlite_ceiling_row(*source, into=scratch)

    return PlannedRow(f"{SCENARIO}: raw batched SQLite ceiling", measure)


def inbound_plan(
    count: int, variants: Sequence[InboundVariant], peers: PeerAvailability, use_uvloop: bool | None = None
) -> list[PlannedRow]:
    """One round's rows in order: QuickFIX C++ (a step only with the peer), the QuickFIX Python binding, our
    ``variants``, then, when a variant persists, the raw batched SQLite ceiling of the first fully persisted store
    file (no ratios to it yet; its step runs even when no row persisted every refresh, and then reports nothing)."""
    measured: list[tuple[InboundVariant, Path, LiveResult]] = []
    rows = [
        PlannedRow(f"{SCENARIO}: {QUICKFIX}", lambda _: quickfix_inbound(count, peers)) if peers.available
        else unmeasured_row(SCENARIO, QUICKFIX, peers.reason),
        planned_binding_row(SCENARIO, lambda binding, _: qfpy_inbound(count, binding, SCENARIO)),
        *(_ours_row(count, variant, number, use_uvloop, measured) for number, variant in enumerate(variants)),
    ]  # fmt: skip
    if any(variant.store.persists for variant in variants):
        rows.append(_ceiling_row(measured))
    return rows


def inbound_steps(repeat: int = 1, stores: Sequence[InboundVariant | StoreVariant] = INBOUND_STORES) -> int:
    """Progress steps :func:`run_inbound` advances with these arguments on this machine (from its own plan)."""
    variants = [_variant(row) for row in stores]
    return planned_steps(lambda: inbound_plan(0, variants, find_peer()), repeat)


def run_inbound(
    count: int = 20_000,
    stores: Sequence[InboundVariant | StoreVariant] = INBOUND_STORES,
    on_step: Callable[[str], None] | None = None,
    use_uvloop: bool | None = None,
    repeat: int = 1,
) -> list[LiveResult]:
    """The QuickFIX C++ reference row, the QuickFIX Python binding's row, one row per variant of our acceptor
    (``count`` refreshes each), then, when a row persisted, the raw batched SQLite ceiling of the same frames (and
    each persisted row's ratio to it).

    ``stores``: InboundVariants, or StoreVariants (taken as fromApp rows). Without the QuickFIX peer or the
    binding only its row is unavailable (with the reason): the blaster needs neither. ``repeat``: rounds, each
    running every row once in the same order; each row's figure is then the median of its runs (see
    :func:`~pyfixmsg_plus.bench.live.repeat.combine_runs`), and the ceiling ratios are between medians.
    """
    if repeat < 1:
        raise ValueError(f"inbound repeat = {repeat}: must be at least 1 round")
    peers = find_peer()
    variants = [_variant(row) for row in stores]
    rounds = run_planned_rounds(repeat, lambda: inbound_plan(count, variants, peers, use_uvloop), on_step or no_step)
    results = combine_rounds(rounds)
    ceiling = ceiling_row(results, SCENARIO)
    return with_ceiling_ratios(results, ceiling) if ceiling is not None else results


__all__ = [
    "MD_REFRESH",
    "SCENARIO",
    "inbound_plan",
    "inbound_steps",
    "loop_cpu_details",
    "persisted_seconds",
    "quickfix_inbound",
    "run_inbound",
    "sqlite_ceiling_row",
    "timeout_for",
    "with_ceiling_ratios",
]
