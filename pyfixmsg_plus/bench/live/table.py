"""The live scenarios' table: our figures beside QuickFIX<->QuickFIX's, with the ratios."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from pyfixmsg_plus.bench.live.results import ECHO_FLOOR, QUICKFIX, LiveResult, reference_row

COLUMNS = (
    ("scenario", "left"), ("implementation", "left"), ("messages", "right"), ("messages/s", "right"),
    ("p50 µs", "right"), ("p99 µs", "right"), ("p99.9 µs", "right"), ("max µs", "right"),
    ("vs QuickFIX", "right"), ("vs echo floor", "right"),
)  # fmt: skip
NOTE_COLUMN = ("note", "left")


def _latency_ratio(row: LiveResult, reference: LiveResult | None) -> str:
    """``p50 ratio / p99 ratio`` of ``row`` against ``reference`` (lower is better)."""
    if row.latency is None or reference is None or reference.latency is None or reference is row:
        return "-"
    ours, theirs = row.latency, reference.latency
    return f"p50 {ours.p50_us / theirs.p50_us:.2f}x / p99 {ours.p99_us / theirs.p99_us:.2f}x"


def _rate_ratio(row: LiveResult, reference: LiveResult | None) -> str:
    """``row``'s rate over ``reference``'s (higher is better)."""
    if reference is None or reference is row or not reference.messages_per_second:
        return "-"
    return f"{row.messages_per_second / reference.messages_per_second:.2f}x"


def _cells(row: LiveResult, results: Sequence[LiveResult]) -> list[str]:
    if row.unavailable:
        return [row.scenario, row.implementation, *["-"] * 8, f"unavailable: {row.unavailable}"]
    quickfix = reference_row(results, row.scenario, QUICKFIX)
    floor = reference_row(results, row.scenario, ECHO_FLOOR)
    latency = row.latency
    if latency is None:
        figures = [f"{row.messages_per_second:,.0f}", "-", "-", "-", "-"]
        return [row.scenario, row.implementation, f"{row.messages:,}", *figures, _rate_ratio(row, quickfix), "-", ""]
    figures = ["-", f"{latency.p50_us:,.1f}", f"{latency.p99_us:,.1f}", f"{latency.p999_us:,.1f}",
               f"{latency.max_us:,.1f}"]  # fmt: skip
    return [row.scenario, row.implementation, f"{latency.samples:,}", *figures,
            _latency_ratio(row, quickfix), _latency_ratio(row, floor), ""]  # fmt: skip


def render_live_table(results: Sequence[LiveResult], title: str) -> Table:
    """One row per implementation and scenario; ratios against the QuickFIX<->QuickFIX row of the same scenario
    (rates: ours / theirs, higher is better; latencies: ours / theirs, lower is better) and the echo floor."""
    table = Table(title=title)
    with_notes = any(row.unavailable for row in results)
    for name, justify in (*COLUMNS, NOTE_COLUMN) if with_notes else COLUMNS:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in results:
        cells = _cells(row, results)
        table.add_row(*(cells if with_notes else cells[:-1]))
    return table
