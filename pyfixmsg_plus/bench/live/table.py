"""The live scenarios' tables: our figures beside QuickFIX C++'s and the QuickFIX Python binding's, with the
ratios against each; the scale scenario's own table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.table import Table

from pyfixmsg_plus.bench.live.repeat import run_spread
from pyfixmsg_plus.bench.live.results import (
    ECHO_FLOOR,
    PEER_FLOOR,
    QUICKFIX_PYTHON,
    LiveResult,
    ceiling_row,
    is_ceiling_row,
    is_persisted_row,
    quickfix_row,
    reference_row,
)

COLUMNS = (
    ("scenario", "left"), ("implementation", "left"), ("messages", "right"), ("messages/s", "right"),
    ("p50 µs", "right"), ("p99 µs", "right"), ("p99.9 µs", "right"), ("max µs", "right"),
    ("vs QuickFIX", "right"), ("vs echo floor", "right"),
)  # fmt: skip
NOTE_COLUMN = ("note", "left")
#: shown when a scenario has a measured QuickFIX Python binding row, right after "vs QuickFIX"
BINDING_COLUMN = ("vs QuickFIX Python", "right")
#: where the binding's column (and cell) goes among COLUMNS
BINDING_AT = 9
#: shown when a scenario has a raw batched SQLite ceiling row: the persisted rows' rate over the ceiling's
CEILING_COLUMN = ("vs SQLite ceiling", "right")
#: shown when a scenario has a peer-floor row: latencies over those of canned frames to the same peer
PEER_FLOOR_COLUMN = ("vs peer floor", "right")
#: shown when a row measured its event-loop thread's CPU: nanoseconds per message (blasts) or per round trip, and
#: the share of the run's wall time the loop was on CPU
LOOP_CPU_COLUMN = ("loop CPU / msg or round trip (share of run)", "right")
#: the details key of each kind of loop CPU figure, and the unit its cell names
LOOP_CPU_FIGURES = (("cpu_ns_per_message", "ns"), ("cpu_ns_per_round_trip", "ns / round trip"))
SCALE_COLUMNS = (
    ("scenario", "left"), ("implementation", "left"), ("sessions", "right"), ("held", "right"),
    ("missed heartbeats", "right"), ("longest silence s", "right"), ("CPU ms / session / s", "right"),
    ("CPU share of one core", "right"), ("heap KiB / session", "right"), ("messages/s in", "right"),
)  # fmt: skip
#: the scale scenario's name (its rows go in their own table)
SCALE_PREFIX = "scale"


def is_scale_row(row: LiveResult) -> bool:
    """True for the rows of the scale scenario (the table of :func:`render_scale_table`)."""
    return row.scale is not None or row.scenario.startswith(SCALE_PREFIX)


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


def _short_rates(low: float, high: float) -> str:
    """``low-high`` messages per second, both in the unit that suits ``high`` (M, k or none)."""
    for scale, unit, digits in ((1e6, " M", 2), (1e3, " k", 1)):
        if high >= scale:
            return f"{low / scale:.{digits}f}-{high / scale:.{digits}f}{unit}"
    return f"{low:.0f}-{high:.0f}"


def rate_cell(row: LiveResult) -> str:
    """The row's rate, messages per second; for a row repeated over several runs (the rate is then their median)
    with the lowest and highest run and the number of runs, e.g. ``1,412,000 (1.21-1.55 M, 5 runs)``."""
    rate = f"{row.messages_per_second:,.0f}"
    spread = run_spread(row)
    if spread is None:
        return rate
    return f"{rate} ({_short_rates(spread.min_per_s, spread.max_per_s)}, {spread.runs} runs)"


def loop_cpu_cell(row: LiveResult) -> str:
    """The event-loop thread's CPU per message (or per round trip) and its share of the run's wall time, e.g.
    ``610 ns (82%)`` or ``21,400 ns / round trip (48%)``; ``-`` for a row that did not measure it."""
    share = row.details.get("loop_cpu_share")
    for key, unit in LOOP_CPU_FIGURES:
        cpu_ns = row.details.get(key)
        if not row.unavailable and isinstance(cpu_ns, float):
            return f"{cpu_ns:,.0f} {unit}" + (f" ({share:.0%})" if isinstance(share, float) else "")
    return "-"


def has_loop_cpu(row: LiveResult) -> bool:
    """True for a row with a loop CPU figure (the table then has the column)."""
    return any(key in row.details for key, _ in LOOP_CPU_FIGURES)


def samples_cell(row: LiveResult, samples: int) -> str:
    """A round-trip row's ``samples``, with the number of runs they came from when there were several, e.g.
    ``15,000 (3 runs)``."""
    runs = row.details.get("runs")
    count = f"{samples:,}"
    return f"{count} ({len(runs)} runs)" if isinstance(runs, list) and len(runs) > 1 else count


def _cells(row: LiveResult, results: Sequence[LiveResult]) -> list[str]:
    if row.unavailable:
        return [row.scenario, row.implementation, *["-"] * 8, f"unavailable: {row.unavailable}"]
    quickfix = quickfix_row(results, row.scenario)
    floor = reference_row(results, row.scenario, ECHO_FLOOR)
    latency = row.latency
    if latency is None:
        figures = [rate_cell(row), "-", "-", "-", "-"]
        # the ceiling is SQLite alone, not a FIX engine: no ratio to QuickFIX
        versus_quickfix = "-" if is_ceiling_row(row) else _rate_ratio(row, quickfix)
        return [row.scenario, row.implementation, f"{row.messages:,}", *figures, versus_quickfix, "-", ""]
    figures = ["-", f"{latency.p50_us:,.1f}", f"{latency.p99_us:,.1f}", f"{latency.p999_us:,.1f}",
               f"{latency.max_us:,.1f}"]  # fmt: skip
    return [row.scenario, row.implementation, samples_cell(row, latency.samples), *figures,
            _latency_ratio(row, quickfix), _latency_ratio(row, floor), ""]  # fmt: skip


def _binding_ratio(row: LiveResult, results: Sequence[LiveResult]) -> str:
    """``row`` against the QuickFIX Python binding's row of its scenario: rates (higher is better) or latencies
    (lower is better); ``-`` for the SQLite ceiling, which is no FIX engine."""
    if row.unavailable or is_ceiling_row(row):
        return "-"
    reference = reference_row(results, row.scenario, QUICKFIX_PYTHON)
    return _latency_ratio(row, reference) if row.latency is not None else _rate_ratio(row, reference)


def _ratio_values(row: LiveResult, reference: LiveResult | None) -> float | dict[str, float] | None:
    """``row`` over ``reference`` as numbers: a rate ratio, or p50/p99 latency ratios; None without both."""
    if row.unavailable or reference is None or reference is row or is_ceiling_row(row):
        return None
    if row.latency is not None and reference.latency is not None:
        ours, theirs = row.latency, reference.latency
        return {"p50": ours.p50_us / theirs.p50_us, "p99": ours.p99_us / theirs.p99_us}
    if row.latency is None and reference.latency is None and reference.messages_per_second:
        return row.messages_per_second / reference.messages_per_second
    return None


def ratios(row: LiveResult, results: Sequence[LiveResult]) -> dict[str, Any]:
    """The table's ratios of ``row`` as numbers, for ``--json``: against QuickFIX C++, the QuickFIX Python binding
    and the echo floor of its scenario (rates: higher is better; ``{"p50", "p99"}`` latencies: lower is better)."""
    return {
        "vs_quickfix_cpp": _ratio_values(row, quickfix_row(results, row.scenario)),
        "vs_quickfix_python": _ratio_values(row, reference_row(results, row.scenario, QUICKFIX_PYTHON)),
        "vs_echo_floor": _ratio_values(row, reference_row(results, row.scenario, ECHO_FLOOR)),
        "vs_peer_floor": _ratio_values(row, reference_row(results, row.scenario, PEER_FLOOR)),
    }


def _peer_floor_ratio(row: LiveResult, results: Sequence[LiveResult]) -> str:
    """A latency row over the peer floor of its scenario (lower is better), else ``-``."""
    if row.unavailable or row.latency is None:
        return "-"
    return _latency_ratio(row, reference_row(results, row.scenario, PEER_FLOOR))


def _ceiling_ratio(row: LiveResult, results: Sequence[LiveResult]) -> str:
    """A persisted row's rate over the SQLite ceiling of its scenario (higher is better), else ``-``."""
    if row.unavailable or not is_persisted_row(row):
        return "-"
    return _rate_ratio(row, ceiling_row(results, row.scenario))


def render_live_table(results: Sequence[LiveResult], title: str) -> Table:
    """One row per implementation and scenario; ratios against the QuickFIX C++ row of the same scenario (rates:
    ours / theirs, higher is better; latencies: ours / theirs, lower is better), against the QuickFIX Python
    binding's row when one was measured, the echo floor, and, when the results hold a raw batched SQLite ceiling,
    the persisted rows against it (rows of the scale scenario are left to :func:`render_scale_table`)."""
    table = Table(title=title)
    rows = [row for row in results if not is_scale_row(row)]
    with_notes = any(row.unavailable for row in rows)
    with_ceiling = any(is_ceiling_row(row) for row in rows)
    with_peer_floor = any(row.implementation == PEER_FLOOR and not row.unavailable for row in rows)
    with_binding = any(row.implementation == QUICKFIX_PYTHON and not row.unavailable for row in rows)
    with_loop_cpu = any(has_loop_cpu(row) for row in rows)
    columns = (*COLUMNS[:BINDING_AT], *((BINDING_COLUMN,) if with_binding else ()), *COLUMNS[BINDING_AT:],
               *((PEER_FLOOR_COLUMN,) if with_peer_floor else ()),
               *((CEILING_COLUMN,) if with_ceiling else ()), *((LOOP_CPU_COLUMN,) if with_loop_cpu else ()),
               *((NOTE_COLUMN,) if with_notes else ()))  # fmt: skip
    for name, justify in columns:
        table.add_column(name, justify=justify)
    for row in rows:
        *cells, note = _cells(row, results)
        if with_binding:
            cells.insert(BINDING_AT, _binding_ratio(row, results))
        if with_peer_floor:
            cells.append(_peer_floor_ratio(row, results))
        if with_ceiling:
            cells.append(_ceiling_ratio(row, results))
        if with_loop_cpu:
            cells.append(loop_cpu_cell(row))
        table.add_row(*([*cells, note] if with_notes else cells))
    return table


def _scale_cells(row: LiveResult) -> list[str]:
    if row.unavailable or row.scale is None:
        return [row.scenario, row.implementation, *["-"] * 8, f"unavailable: {row.unavailable}"]
    scale = row.scale
    share = row.details.get("cpu_share_of_one_core")
    return [
        row.scenario, row.implementation, f"{scale.sessions:,}", f"{scale.held:,}", f"{scale.missed_heartbeats:,}",
        f"{scale.max_heartbeat_gap_s:.2f}", f"{scale.cpu_s_per_session_s * 1e3:.3f}",
        f"{share:.0%}" if isinstance(share, float) else "-", f"{scale.rss_kib_per_session:,.0f}",
        f"{row.messages_per_second:,.0f}", "",
    ]  # fmt: skip


def render_scale_table(results: Sequence[LiveResult], title: str) -> Table | None:
    """The scale scenario's rows (None when there are none): sessions held, missed heartbeats (TestRequests
    sent by either side plus disconnects), the acceptor's longest silence, CPU and resident memory per session."""
    rows = [row for row in results if is_scale_row(row)]
    if not rows:
        return None
    table = Table(title=title)
    with_notes = any(row.unavailable for row in rows)
    for name, justify in (*SCALE_COLUMNS, NOTE_COLUMN) if with_notes else SCALE_COLUMNS:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        cells = _scale_cells(row)
        table.add_row(*(cells if with_notes else cells[:-1]))
    return table
