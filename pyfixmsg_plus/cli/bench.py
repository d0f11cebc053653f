"""``pyfixmsg-plus bench``: run benchmark scenarios and print our figures beside the peers', with ratios."""

from __future__ import annotations

import argparse
import json
import sys

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from pyfixmsg_plus import USING_EXTENSIONS, __version__
from pyfixmsg_plus.bench.timing import Measurement

SCENARIOS = ("wire",)


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


def _command(args: argparse.Namespace) -> int:
    console = Console(stderr=args.json)
    if not console.is_terminal:
        console = Console(stderr=args.json, width=140)  # a wide table reads better in logs and notes than a wrapped one
    results = run_wire_scenario(args, console)
    if args.json:
        for m in results:
            sys.stdout.write(json.dumps(_as_json(m)) + "\n")
        return 0
    impl = "compiled extensions live" if USING_EXTENSIONS else "pure-Python twins forced"
    title = f"pyfixmsg-plus {__version__} wire benchmarks ({args.count:,} messages, best of {args.repeat}; {impl})"
    console.print(render_table(results, title))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("bench", help="benchmarks with side-by-side ratios against peers")
    parser.add_argument("scenario", nargs="?", default="wire", choices=SCENARIOS, help="what to measure")
    parser.add_argument("--count", type=int, default=20_000, help="messages in the corpus (default 20000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per case; the best is kept (default 5)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line instead of a table")
    parser.set_defaults(func=_command)
