"""``pyfixmsg-plus bench``: run benchmark scenarios and print our figures beside the peers', with ratios."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from pyfixmsg_plus import USING_EXTENSIONS, __version__
from pyfixmsg_plus.bench.timing import Measurement
from pyfixmsg_plus.cli._console import make_console

if TYPE_CHECKING:
    from pyfixmsg_plus.bench.live.results import LiveResult

#: `wire` times the codec in-process; the live scenarios run sessions over loopback beside QuickFIX C++ peers
LIVE = ("inbound", "roundtrip", "outbound")
SCENARIOS = ("wire", *LIVE, "all")
#: progress steps of each live scenario (one per row it measures)
LIVE_STEPS = {"inbound": 4, "roundtrip": 3, "outbound": 2}


def _ratio(value: float, reference: float | None) -> str:
    if not reference:
        return "-"
    return f"{value / reference:.2f}x"


def _reference(results: list[Measurement], operation: str, implementation: str) -> float | None:
    for m in results:
        if m.operation == operation and m.implementation == implementation:
            return m.messages_per_second
    return None


def render_table(results: list[Measurement], title: str) -> Table:
    """The side-by-side table: rates per implementation, and ratios against simplefix and the pure twin."""
    table = Table(title=title)
    for name, justify in (
        ("operation", "left"),
        ("implementation", "left"),
        ("messages/s", "right"),
        ("MB/s", "right"),
        ("ns/message", "right"),
        ("vs simplefix", "right"),
        ("vs pure", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for m in results:
        rate = m.messages_per_second
        table.add_row(
            m.operation,
            m.implementation,
            f"{rate:,.0f}",
            f"{m.megabytes_per_second:,.1f}",
            f"{m.ns_per_message:,.0f}",
            _ratio(rate, _reference(results, m.operation, "simplefix")),
            _ratio(rate, _reference(results, m.operation, "pure")),
        )
    return table


def _as_json(m: Measurement) -> dict[str, object]:
    return {
        "operation": m.operation,
        "implementation": m.implementation,
        "messages": m.messages,
        "bytes": m.nbytes,
        "seconds": m.seconds,
        "messages_per_second": m.messages_per_second,
        "megabytes_per_second": m.megabytes_per_second,
        "ns_per_message": m.ns_per_message,
    }


def run_wire_scenario(args: argparse.Namespace, console: Console) -> list[Measurement]:
    from pyfixmsg_plus.bench.wire import Case, run_wire

    with Progress(console=console, transient=True, disable=args.json) as progress:
        task = progress.add_task("building the corpus", total=None)

        def advance(case: Case, total: int) -> None:
            progress.update(task, total=total, description=f"{case.operation} ({case.implementation})")
            progress.advance(task)

        return run_wire(count=args.count, repeat=args.repeat, on_case=advance)


def run_live_scenarios(names: list[str], args: argparse.Namespace, console: Console) -> list[LiveResult]:
    """Run the live scenarios ``names`` in order, with a progress bar of one step per measured row."""
    from pyfixmsg_plus.bench.live import LIVE_SCENARIOS

    results: list[LiveResult] = []
    with Progress(console=console, transient=True, disable=args.json) as progress:
        task = progress.add_task("starting", total=sum(LIVE_STEPS[name] for name in names))

        def step(description: str) -> None:
            progress.update(task, description=description)
            progress.advance(task)

        for name in names:
            size = args.samples if name == "roundtrip" else args.count
            results += LIVE_SCENARIOS[name](size, on_step=step)
    return results


def _implementation_note() -> str:
    return "compiled extensions live" if USING_EXTENSIONS else "pure-Python twins forced"


def _print_wire(results: list[Measurement], args: argparse.Namespace, console: Console) -> None:
    if args.json:
        for m in results:
            sys.stdout.write(json.dumps({"kind": "wire", **_as_json(m)}) + "\n")
        return
    title = (f"pyfixmsg-plus {__version__} wire benchmarks ({args.count:,} messages, best of {args.repeat}; "
             f"{_implementation_note()})")  # fmt: skip
    console.print(render_table(results, title))


def _print_live(results: list[LiveResult], args: argparse.Namespace, console: Console) -> None:
    from pyfixmsg_plus.bench.live.table import render_live_table

    if args.json:
        for row in results:
            sys.stdout.write(json.dumps({"kind": "live", **row.as_json()}) + "\n")
        return
    title = (f"pyfixmsg-plus {__version__} live sessions over loopback ({args.count:,} messages per blast, "
             f"{args.samples:,} round trips; {_implementation_note()})")  # fmt: skip
    console.print(render_live_table(results, title))


def _command(args: argparse.Namespace) -> int:
    for option in ("count", "samples", "repeat"):
        if getattr(args, option) < 1:
            raise SystemExit(f"bench: --{option} = {getattr(args, option)} must be at least 1")
    console = make_console(stderr=args.json)
    if args.scenario in ("wire", "all"):
        _print_wire(run_wire_scenario(args, console), args, console)
    live = list(LIVE) if args.scenario == "all" else [name for name in LIVE if name == args.scenario]
    if live:
        _print_live(run_live_scenarios(live, args, console), args, console)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("bench", help="benchmarks with side-by-side ratios against peers")
    parser.add_argument("scenario", nargs="?", default="wire", choices=SCENARIOS, help="what to measure")
    parser.add_argument(
        "--count", type=int, default=20_000, help="messages in the wire corpus and in each live blast (default 20000)"
    )
    parser.add_argument("--samples", type=int, default=10_000, help="round trips of `roundtrip` (default 10000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per case; the best is kept (default 5)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line instead of a table")
    parser.set_defaults(func=_command)
