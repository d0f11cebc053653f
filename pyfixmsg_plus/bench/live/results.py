"""What a live scenario reports: one row per implementation, throughput or latency, with numpy statistics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

#: the implementation name of the QuickFIX<->QuickFIX rows: every other row's ratio is taken against it
QUICKFIX = "QuickFIX C++ <-> QuickFIX C++"
#: how every QuickFIX C++ row's implementation starts
QUICKFIX_PREFIX = "QuickFIX C++"
#: the implementation name of the QuickFIX Python binding's rows (binding <-> binding): every row's second ratio
QUICKFIX_PYTHON = "QuickFIX Python <-> QuickFIX Python"
#: the bare echo of canned bytes: the floor of a round trip on this machine
ECHO_FLOOR = "bare echo of canned bytes (floor)"
#: canned FIX frames from a bare client to the QuickFIX acceptor our initiator's row talks to: that peer's floor
PEER_FLOOR = "canned FIX frames to the same QuickFIX acceptor (peer floor)"
#: how the implementation of a raw batched SQLite ceiling row starts (the persisted rows' second reference)
SQLITE_CEILING_PREFIX = "raw batched SQLite ceiling"


@dataclass(frozen=True)
class LatencySummary:
    """Percentiles of round-trip samples, in microseconds."""

    samples: int
    p50_us: float
    p99_us: float
    p999_us: float
    max_us: float

    @classmethod
    def from_nanoseconds(cls, samples_ns: Sequence[int] | np.ndarray) -> LatencySummary:
        """Summarise latencies given in nanoseconds (an empty input is a ValueError naming it)."""
        values = np.asarray(samples_ns, dtype=np.float64)
        if values.size == 0:
            raise ValueError("latency samples: none were recorded")
        p50, p99, p999 = np.percentile(values, [50.0, 99.0, 99.9]) / 1e3
        return cls(int(values.size), float(p50), float(p99), float(p999), float(values.max() / 1e3))


@dataclass(frozen=True)
class ScaleSummary:
    """Many sessions on one acceptor during one phase (idle with heartbeats, or under load).

    ``held``: sessions still logged on at the end of the phase; ``missed_heartbeats``: TestRequests (35=1) sent by
    either side plus disconnects during the phase; ``cpu_s_per_session_s``: CPU seconds of the acceptor's process
    per session per second of the phase; ``rss_kib_per_session``: Python heap the engine and its sessions
    allocated (KiB each, traced with tracemalloc from before the engine existed until all were logged on);
    ``max_heartbeat_gap_s``: the longest silence of the acceptor any initiator saw, seconds.
    """

    sessions: int
    held: int
    missed_heartbeats: int
    cpu_s_per_session_s: float
    rss_kib_per_session: float
    max_heartbeat_gap_s: float


@dataclass(frozen=True)
class LiveResult:
    """One implementation in one scenario.

    ``messages`` application messages counted over ``seconds`` (throughput rows), or ``latency`` (round-trip rows).
    ``unavailable`` holds the reason a row could not be measured (e.g. no QuickFIX peer); its figures are zero.
    ``scale`` holds the figures of the scale scenario's rows. ``samples_ns`` keeps the raw round-trip latencies
    (nanoseconds) for ``bench --plot``; it is left out of ``as_json`` and of comparisons.
    """

    scenario: str
    implementation: str
    messages: int = 0
    seconds: float = 0.0
    latency: LatencySummary | None = None
    unavailable: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    scale: ScaleSummary | None = None
    samples_ns: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def messages_per_second(self) -> float:
        return self.messages / self.seconds if self.seconds > 0 else 0.0

    def as_json(self) -> dict[str, Any]:
        """A flat dict for ``--json`` (latencies in microseconds, rates in messages per second)."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "samples_ns"}
        for name in ("latency", "scale"):
            if out[name] is not None:
                out[name] = asdict(out[name])
        out["details"] = dict(self.details)
        out["messages_per_second"] = self.messages_per_second
        return out


def unavailable(scenario: str, implementation: str, reason: str) -> LiveResult:
    """A row that could not be measured, and why."""
    return LiveResult(scenario, implementation, unavailable=reason)


def quickfix_row(results: Sequence[LiveResult], scenario: str) -> LiveResult | None:
    """The measured QuickFIX C++ row of ``scenario``: QuickFIX<->QuickFIX when there is one, else any row whose
    implementation is a QuickFIX C++ one (the recovery scenario's QuickFIX initiator facing our light counterparty).
    """
    exact = reference_row(results, scenario, QUICKFIX)
    if exact is not None:
        return exact
    for row in results:
        if row.scenario == scenario and row.implementation.startswith(QUICKFIX_PREFIX) and not row.unavailable:
            return row
    return None


def reference_row(results: Sequence[LiveResult], scenario: str, implementation: str = QUICKFIX) -> LiveResult | None:
    """The measured row of ``implementation`` in ``scenario`` (the ratios' denominator), if any."""
    for row in results:
        if row.scenario == scenario and row.implementation == implementation and not row.unavailable:
            return row
    return None


def ceiling_label(batch: int, synchronous: str, method: str = "executemany") -> str:
    """The implementation name of a raw batched SQLite ceiling row (``method``: how its rows were written)."""
    return f"{SQLITE_CEILING_PREFIX} (sqlite3 {method}, {batch:,}/commit, WAL, synchronous={synchronous})"


def is_ceiling_row(row: LiveResult) -> bool:
    """True for a raw batched SQLite ceiling row."""
    return row.implementation.startswith(SQLITE_CEILING_PREFIX)


def is_persisted_row(row: LiveResult) -> bool:
    """True for a row whose figure runs until every message was stored (its details say how many were)."""
    return "rows_stored" in row.details


def ceiling_row(results: Sequence[LiveResult], scenario: str) -> LiveResult | None:
    """The measured raw batched SQLite ceiling of ``scenario``, if any."""
    for row in results:
        if row.scenario == scenario and is_ceiling_row(row) and not row.unavailable:
            return row
    return None
