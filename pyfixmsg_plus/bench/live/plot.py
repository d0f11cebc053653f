"""``pyfixmsg-plus bench --plot PATH``: a PNG of the live results for the docs.

Left: throughput bars, ours beside QuickFIX C++ in each scenario that reports a rate (messages/s). Right, when the
round trip ran: a histogram of its latency samples per implementation (µs, logarithmic bins up to the p99.9 of
all samples, so the tail's outliers do not flatten the body). matplotlib draws it with its Agg canvas, without
pyplot's global state; it is an optional dependency (the ``bench`` extra).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pyfixmsg_plus.bench.live.results import QUICKFIX_PREFIX, QUICKFIX_PYTHON, SQLITE_CEILING_PREFIX, LiveResult
from pyfixmsg_plus.bench.live.table import is_scale_row

INSTALL_HINT = "pip install 'pyfixmsg-plus[bench]'"
#: bins of the latency histogram
HISTOGRAM_BINS = 60
#: the histogram's right edge: this percentile of every sample shown
HISTOGRAM_UPPER_PERCENTILE = 99.9
QUICKFIX_COLOUR, QUICKFIX_PYTHON_COLOUR, OUR_COLOUR = "#7f7f7f", "#d89a3c", "#1f77b4"
CEILING_COLOUR = "#9ecae1"  # a reference, not an engine: light
DPI = 120


class PlotUnavailable(RuntimeError):
    """matplotlib is not installed: ``--plot`` cannot draw."""


def require_matplotlib() -> Any:
    """The ``matplotlib`` module, or PlotUnavailable naming the install command."""
    try:
        import matplotlib
    except ImportError as exc:
        raise PlotUnavailable(f"bench --plot needs matplotlib, which is not installed: {INSTALL_HINT}") from exc
    return matplotlib


def throughput_rows(results: Sequence[LiveResult]) -> list[LiveResult]:
    """Measured rows with a rate (throughput scenarios; not latency, not scale, not unavailable)."""
    return [
        row
        for row in results
        if not row.unavailable and row.latency is None and not is_scale_row(row) and row.messages_per_second
    ]


def latency_rows(results: Sequence[LiveResult]) -> list[LiveResult]:
    """Measured rows that kept their latency samples."""
    return [row for row in results if not row.unavailable and row.samples_ns is not None and row.samples_ns.size]


def write_plot(results: Sequence[LiveResult], path: Path, title: str = "pyfixmsg-plus live benchmarks") -> Path:
    """Draw the chart of ``results`` into the PNG ``path``; ValueError when nothing in them can be drawn."""
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    bars, latencies = throughput_rows(results), latency_rows(results)
    if not bars and not latencies:
        raise ValueError(f"bench --plot {path}: no throughput or latency rows to draw (run a live scenario such "
                         "as inbound, roundtrip, outbound or recovery)")  # fmt: skip
    panels = [draw for draw, rows in ((_draw_throughput, bars), (_draw_latency, latencies)) if rows]
    figure = Figure(figsize=(9.0 * len(panels), 0.45 * max(len(bars), 8) + 1.5), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    for position, draw in enumerate(panels, start=1):
        draw(figure.add_subplot(1, len(panels), position), bars if draw is _draw_throughput else latencies)
    figure.suptitle(title)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path


def _colour(row: LiveResult) -> str:
    if row.implementation.startswith(QUICKFIX_PREFIX):
        return QUICKFIX_COLOUR
    if row.implementation.startswith(SQLITE_CEILING_PREFIX):
        return CEILING_COLOUR
    return QUICKFIX_PYTHON_COLOUR if row.implementation == QUICKFIX_PYTHON else OUR_COLOUR


def _draw_throughput(axes: Any, rows: list[LiveResult]) -> None:
    """Horizontal bars grouped by scenario (the order the scenarios ran): QuickFIX C++ grey, its Python binding
    orange, ours blue."""
    labels = [f"{row.scenario}\n{row.implementation}" for row in rows]
    positions = np.arange(len(rows))[::-1]
    rates = [row.messages_per_second for row in rows]
    axes.barh(positions, rates, color=[_colour(row) for row in rows])
    axes.set_yticks(positions, labels, fontsize=7)
    for y, rate in zip(positions, rates, strict=True):
        axes.annotate(f"{rate:,.0f}", (rate, y), xytext=(3, 0), textcoords="offset points", va="center",
                      fontsize=7)  # fmt: skip
    axes.set_xlabel("messages per second (higher is better)")
    axes.set_title(
        "throughput (grey: QuickFIX C++, orange: QuickFIX Python, blue: pyfixmsg-plus, light: SQLite ceiling)",
        fontsize=8,
    )
    axes.margins(x=0.15)


def _draw_latency(axes: Any, rows: list[LiveResult]) -> None:
    """One step histogram per implementation over shared logarithmic bins, in µs."""
    samples = [np.asarray(row.samples_ns, dtype=np.float64) / 1e3 for row in rows]
    everything = np.concatenate(samples)
    low = max(float(everything.min()), 1e-3)
    high = max(float(np.percentile(everything, HISTOGRAM_UPPER_PERCENTILE)), low * 1.01)
    bins = np.geomspace(low, high, HISTOGRAM_BINS)
    for row, values in zip(rows, samples, strict=True):
        p50 = row.latency.p50_us if row.latency is not None else float(np.median(values))
        axes.hist(np.clip(values, low, high), bins=bins, histtype="step", linewidth=1.5,
                  label=f"{row.implementation} (p50 {p50:,.1f} µs)")  # fmt: skip
    axes.set_xscale("log")
    # plain numbers at the decades and a few steps between; no crowded 3x10^1-style minor labels
    require_matplotlib()
    ticker = importlib.import_module("matplotlib.ticker")
    axes.xaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:g}"))
    axes.xaxis.set_minor_formatter(ticker.NullFormatter())
    steps: list[float] = [value for value in (10, 20, 50, 100, 200, 500, 1000, 2000, 5000) if low <= value <= high]
    axes.set_xticks(steps or [low, high])
    axes.set_xlabel(f"round-trip latency, µs (samples above p{HISTOGRAM_UPPER_PERCENTILE:g} in the last bin)")
    axes.set_ylabel("samples")
    axes.set_title(rows[0].scenario, fontsize=10)
    axes.legend(fontsize=7)
