"""``pyfixmsg-plus bench``: run benchmark scenarios and print our figures beside the peers', with ratios."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from pyfixmsg_plus import USING_EXTENSIONS, __version__
from pyfixmsg_plus.bench.timing import Measurement
from pyfixmsg_plus.cli._console import make_console

if TYPE_CHECKING:
    from pyfixmsg_plus.bench.live.results import LiveResult

#: `wire` times the codec in-process; the live scenarios run sessions over loopback beside QuickFIX C++ peers and
#: QuickFIX's Python binding (pip quickfix-ssl; its rows say why when it is missing)
LIVE = ("inbound", "roundtrip", "outbound")
#: live scenarios that `all` leaves out: with their default sizes they take minutes of their own
LONG = ("scale", "recovery")
SCENARIOS = ("wire", *LIVE, *LONG, "all")
#: scenarios whose results --plot cannot draw (wire's are not live rows; scale's are not rates)
NOTHING_TO_PLOT = ("wire", "scale")
#: --repeat when not given: `wire` keeps the best of 5 runs per case; inbound, outbound and roundtrip run each
#: row once
WIRE_REPEAT, LIVE_REPEAT = 5, 1
#: the live scenarios --repeat runs in interleaved rounds
REPEATED = LIVE


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


def wire_repeat(args: argparse.Namespace) -> int:
    """Runs per wire case (the best is kept): --repeat, else WIRE_REPEAT."""
    return WIRE_REPEAT if args.repeat is None else int(args.repeat)


def live_repeat(args: argparse.Namespace) -> int:
    """Interleaved rounds of the inbound, outbound and roundtrip rows (each row's figures the medians of its
    runs): --repeat, else LIVE_REPEAT."""
    return LIVE_REPEAT if args.repeat is None else int(args.repeat)


def run_wire_scenario(args: argparse.Namespace, console: Console) -> list[Measurement]:
    from pyfixmsg_plus.bench.wire import Case, run_wire

    with Progress(console=console, transient=True, disable=args.json) as progress:
        task = progress.add_task("building the corpus", total=None)

        def advance(case: Case, total: int) -> None:
            progress.update(task, total=total, description=f"{case.operation} ({case.implementation})")
            progress.advance(task)

        return run_wire(count=args.count, repeat=wire_repeat(args), on_case=advance)


def parse_sessions(text: str) -> list[int]:
    """``--sessions``: comma-separated positive session counts, e.g. ``100,500``."""
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--sessions {text!r}: expected counts separated by commas, e.g. 100,500"
        ) from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"--sessions {text!r}: every count must be at least 1")
    return sizes


def planned_steps(name: str, args: argparse.Namespace) -> int:
    """Progress steps scenario ``name`` advances with ``args`` on this machine, as its own module counts them
    (from the plan it runs, for the repeated scenarios): the progress bar's total."""
    if name == "scale":
        from pyfixmsg_plus.bench.live.scale import steps_for

        return steps_for(args.sessions)
    if name == "recovery":
        from pyfixmsg_plus.bench.live.recovery import recovery_steps

        return recovery_steps()
    from pyfixmsg_plus.bench.live import LIVE_STEPS

    return LIVE_STEPS[name](live_repeat(args))


def _run_one(name: str, args: argparse.Namespace, step: Callable[[str], None]) -> list[LiveResult]:
    if name == "scale":
        from pyfixmsg_plus.bench.live.scale import run_scale

        return run_scale(args.sessions, args.hold, args.rate, on_step=step)
    if name == "recovery":
        from pyfixmsg_plus.bench.live.recovery import run_recovery

        return run_recovery(args.stored, on_step=step)
    from pyfixmsg_plus.bench.live import LIVE_SCENARIOS

    size = args.samples if name == "roundtrip" else args.count
    return LIVE_SCENARIOS[name](size, on_step=step, repeat=live_repeat(args))


def run_live_scenarios(names: list[str], args: argparse.Namespace, console: Console) -> list[LiveResult]:
    """Run the live scenarios ``names`` in order, with a progress bar of one step per measured row (per round)."""
    results: list[LiveResult] = []
    with Progress(console=console, transient=True, disable=args.json) as progress:
        task = progress.add_task("starting", total=sum(planned_steps(name, args) for name in names))

        def step(description: str) -> None:
            progress.update(task, description=description)
            progress.advance(task)

        for name in names:
            results += _run_one(name, args, step)
    return results


def _implementation_note() -> str:
    return "compiled extensions live" if USING_EXTENSIONS else "pure-Python twins forced"


def _print_wire(results: list[Measurement], args: argparse.Namespace, console: Console) -> None:
    if args.json:
        for m in results:
            sys.stdout.write(json.dumps({"kind": "wire", **_as_json(m)}) + "\n")
        return
    title = (f"pyfixmsg-plus {__version__} wire benchmarks ({args.count:,} messages, best of {wire_repeat(args)}; "
             f"{_implementation_note()})")  # fmt: skip
    console.print(render_table(results, title))


def _live_title(names: list[str], args: argparse.Namespace) -> str:
    """The live table's title, naming the sizes of the scenarios that ran."""
    sizes = []
    if {"inbound", "outbound"} & set(names):
        sizes.append(f"{args.count:,} messages per blast")
    rounds = live_repeat(args)
    repeated = set(REPEATED) & set(names)
    if repeated - {"roundtrip"} and rounds > 1:
        sizes.append(f"rates: median of {rounds} interleaved runs per row, lowest-highest in brackets")
    if "roundtrip" in names:
        sizes.append(f"{args.samples:,} round trips" + (f" per run, {rounds} interleaved runs per row: p50/p99/p99.9 "
                     "the medians of the per-run percentiles, max the largest" if rounds > 1 else ""))  # fmt: skip
    if "recovery" in names:
        sizes.append(f"{args.stored:,} stored messages resent")
    return (f"pyfixmsg-plus {__version__} live sessions over loopback ({', '.join(sizes)}; "
            f"{_implementation_note()})")  # fmt: skip


def _print_live(results: list[LiveResult], names: list[str], args: argparse.Namespace, console: Console) -> None:
    from pyfixmsg_plus.bench.live.table import is_scale_row, ratios, render_live_table, render_scale_table

    if args.json:
        for row in results:
            sys.stdout.write(json.dumps({"kind": "live", **row.as_json(), "ratios": ratios(row, results)}) + "\n")
        return
    if any(not is_scale_row(row) for row in results):
        console.print(render_live_table(results, _live_title(names, args)))
    scale_title = (f"pyfixmsg-plus {__version__} sessions on one acceptor ({args.hold:g} s per phase, HeartBtInt "
                   f"1 s, {args.rate:g} orders/s per session under load; {_implementation_note()})")  # fmt: skip
    scale_table = render_scale_table(results, scale_title)
    if scale_table is not None:
        console.print(scale_table)


def _check_plot_possible(args: argparse.Namespace) -> None:
    """Fail before measuring anything when --plot cannot be honoured."""
    if args.plot is None:
        return
    from pyfixmsg_plus.bench.live.plot import PlotUnavailable, require_matplotlib

    if args.scenario in NOTHING_TO_PLOT:
        raise SystemExit(f"bench: --plot draws throughput and round-trip latency; `{args.scenario}` has neither "
                         "(try `bench all --plot` or `bench roundtrip --plot`)")  # fmt: skip
    try:
        require_matplotlib()
    except PlotUnavailable as exc:
        raise SystemExit(f"bench: {exc}") from None


def _write_plot(results: list[LiveResult], args: argparse.Namespace, console: Console) -> None:
    from pyfixmsg_plus.bench.live.plot import write_plot

    try:
        path = write_plot(results, Path(args.plot), f"pyfixmsg-plus {__version__}: {_implementation_note()}")
    except (ValueError, OSError) as exc:
        raise SystemExit(f"bench: --plot {args.plot}: {exc}") from None
    make_console(stderr=True).print(f"chart written to {path}")


def _command(args: argparse.Namespace) -> int:
    for option in ("count", "samples", "repeat", "stored", "hold", "rate"):
        if getattr(args, option) is not None and getattr(args, option) <= 0:
            raise SystemExit(f"bench: --{option} = {getattr(args, option)} must be positive")
    _check_plot_possible(args)
    console = make_console(stderr=args.json)
    if args.scenario in ("wire", "all"):
        _print_wire(run_wire_scenario(args, console), args, console)
    live = list(LIVE) if args.scenario == "all" else [name for name in (*LIVE, *LONG) if name == args.scenario]
    if live:
        results = run_live_scenarios(live, args, console)
        _print_live(results, live, args, console)
        if args.plot is not None:
            _write_plot(results, args, console)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("bench", help="benchmarks with side-by-side ratios against peers")
    parser.add_argument(
        "scenario", nargs="?", default="wire", choices=SCENARIOS,
        help="what to measure; `all` runs wire, inbound, roundtrip and outbound, not scale and recovery "
             "(with their default sizes scale takes 1 to 1.5 min and recovery about 20 s: run them by name)",
    )  # fmt: skip
    parser.add_argument(
        "--count", type=int, default=20_000, help="messages in the wire corpus and in each live blast (default 20000)"
    )
    parser.add_argument("--samples", type=int, default=10_000,
                        help="round trips of `roundtrip`, in each round with --repeat (default 10000)")  # fmt: skip
    parser.add_argument(
        "--repeat", type=int, default=None,
        help=f"wire: runs per case, the best kept (default {WIRE_REPEAT}); inbound, outbound, roundtrip: "
             f"interleaved rounds, each running every row once in the same order (default {LIVE_REPEAT}); a blast "
             f"row's figure is the median rate of its runs, with the lowest and highest; a round-trip row's "
             f"p50/p99/p99.9 are the medians of its per-round percentiles (each round --samples round trips), its "
             f"max the largest, and --plot's histogram keeps every sample; `all` applies it to all four; scale and "
             f"recovery run once",
    )  # fmt: skip
    parser.add_argument(
        "--sessions",
        type=parse_sessions,
        default=[100, 500],
        help="scale: concurrent sessions on one acceptor, comma-separated sizes (default 100,500)",
    )
    parser.add_argument("--hold", type=float, default=10.0,
                        help="scale: seconds of each phase, idle then under load (default 10)")  # fmt: skip
    parser.add_argument("--rate", type=float, default=10.0,
                        help="scale: orders per second per session under load (default 10)")  # fmt: skip
    parser.add_argument("--stored", type=int, default=100_000,
                        help="recovery: stored messages resent on the ResendRequest (default 100000)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="one JSON object per line instead of a table")
    parser.add_argument("--plot", metavar="PATH", default=None,
                        help="also write a PNG chart of the live results (throughput bars, round-trip latency "
                             "histogram); needs matplotlib: pip install 'pyfixmsg-plus[bench]'")  # fmt: skip
    parser.set_defaults(func=_command)
