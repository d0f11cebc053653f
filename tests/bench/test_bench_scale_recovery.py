"""The scale and recovery scenarios on tiny sizes: every row is consistent, nothing is left running.

No timing assertions. The scale scenario's driver and the recovery counterparty are child processes on
127.0.0.1; the QuickFIX rows are checked only where the peer can be built.
"""

from __future__ import annotations

import argparse
import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from rich.console import Console

from pyfixmsg_plus.bench import peers
from pyfixmsg_plus.bench.live.engines import AIOSQLITE_WRITE_BEHIND, MEMORY
from pyfixmsg_plus.bench.live.recovery import QUICKFIX_ROW, our_row, run_recovery
from pyfixmsg_plus.bench.live.results import QUICKFIX, LiveResult, ScaleSummary, quickfix_row
from pyfixmsg_plus.bench.live.scale import OUR_ROW, idle_scenario, load_scenario
from pyfixmsg_plus.bench.live.table import render_live_table, render_scale_table
from pyfixmsg_plus.cli.bench import parse_sessions
from pyfixmsg_plus.cli.main import main

SESSIONS = 3
HOLD_S = 1.0
RATE = 5.0
STORED = 200


def child_pids() -> set[int]:
    """Live children of this process (Linux /proc; empty elsewhere)."""
    found: set[int] = set()
    for children in Path("/proc/self/task").glob("*/children"):
        found |= {int(pid) for pid in children.read_text().split()}
    return found


def run_json(argv: list[str]) -> list[dict[str, object]]:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(argv) == 0
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_scale_holds_every_session_idle_and_under_load() -> None:
    before = child_pids()
    rows = run_json(["bench", "scale", "--sessions", str(SESSIONS), "--hold", str(HOLD_S), "--rate", str(RATE),
                     "--json"])  # fmt: skip
    assert [(row["kind"], row["scenario"], row["implementation"]) for row in rows] == [
        ("live", "scale", QUICKFIX),
        ("live", idle_scenario(SESSIONS), OUR_ROW),
        ("live", load_scenario(SESSIONS, RATE), OUR_ROW),
    ]
    assert "one session per process" in str(rows[0]["unavailable"])
    for row in rows[1:]:
        scale, details = row["scale"], row["details"]
        assert isinstance(scale, dict) and isinstance(details, dict)
        assert scale["sessions"] == scale["held"] == details["logged_on_by_driver"] == SESSIONS
        # a missed heartbeat is a TestRequest from either side or a lost session, nothing else
        parts = details["test_requests_by_acceptor"] + details["test_requests_by_initiators"] + details["disconnects"]
        assert scale["missed_heartbeats"] == parts
        assert details["disconnects"] == 0
        assert scale["cpu_s_per_session_s"] > 0 and scale["max_heartbeat_gap_s"] > 0
        assert details["heartbeats_to_initiators"] > 0  # HeartBtInt is 1 s and each phase lasts at least that
    idle, load = rows[1]["details"], rows[2]["details"]
    assert isinstance(idle, dict) and isinstance(load, dict)
    assert idle["orders_sent"] == idle["orders_delivered"] == 0
    # every order the initiators sent reached the application, none rejected
    assert load["orders_sent"] == load["orders_delivered"] > 0
    assert load["rejects"] == 0
    assert child_pids() <= before  # the driver process exited


def test_recovery_resends_every_stored_message_with_poss_dup() -> None:
    before = child_pids()
    rows = run_recovery(STORED)
    assert [row.implementation for row in rows] == [QUICKFIX_ROW, our_row(MEMORY), our_row(AIOSQLITE_WRITE_BEHIND)]
    measured = [row for row in rows if not row.unavailable]
    assert len(measured) >= 2  # ours always run; QuickFIX's where the peer builds
    for row in measured:
        assert row.messages == row.details["resent"] == STORED, row
        # ours: the Logon above the stored messages is gap-filled; QuickFIX: its Logon numbered 1 is
        assert row.details["gap_fills"] == 1
        assert row.details["poss_dup"] == STORED + 1  # PossDupFlag(43)=Y on every resent frame and the gap fill
        assert row.seconds > 0 and row.messages_per_second > 0
    assert child_pids() <= before


def test_recovery_without_the_peer_says_why(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(peers.HARNESS_ENV, str(tmp_path / "nowhere" / "peer.py"))
    peers.find_peer.cache_clear()
    try:
        rows = run_recovery(10, stores=[MEMORY])
    finally:
        peers.find_peer.cache_clear()
    assert rows[0].implementation == QUICKFIX_ROW and "peer harness not found" in rows[0].unavailable
    assert rows[1].messages == 10 and not rows[1].unavailable


@pytest.mark.parametrize("text", ["0", "100,-1", "a,b", ","])
def test_sessions_option_rejects_what_is_not_a_list_of_counts(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="--sessions"):
        parse_sessions(text)


def test_sessions_option_reads_comma_separated_counts() -> None:
    assert parse_sessions("100,500") == [100, 500]
    assert parse_sessions("7") == [7]


def test_scale_rows_have_their_own_table_and_recovery_compares_with_quickfix() -> None:
    summary = ScaleSummary(sessions=500, held=500, missed_heartbeats=0, cpu_s_per_session_s=0.0012,
                           rss_kib_per_session=85.0, max_heartbeat_gap_s=1.02)  # fmt: skip
    rows = [
        LiveResult("scale", QUICKFIX, unavailable="one session per process"),
        LiveResult(idle_scenario(500), OUR_ROW, 5000, 10.0, scale=summary, details={"cpu_share_of_one_core": 0.6}),
        LiveResult("recovery: resend", "QuickFIX C++ initiator, memory store", 1000, 0.01),
        LiveResult("recovery: resend", "ours", 1000, 0.02),
    ]
    assert quickfix_row(rows, "recovery: resend") is rows[2]
    console = Console(width=400, record=True)
    console.print(render_live_table(rows, "live"))
    live = console.export_text()
    assert "0.50x" in live  # 50k/s against 100k/s
    assert idle_scenario(500) not in live
    table = render_scale_table(rows, "scale")
    assert table is not None
    console.print(table)
    text = console.export_text()
    assert "1.200" in text and "60%" in text and "unavailable: one session per process" in text
    assert render_scale_table(rows[2:], "none") is None


def test_json_rows_leave_the_latency_samples_out() -> None:
    import numpy as np

    row = LiveResult("round trip D->8", "ours", 3, 0.1, samples_ns=np.array([1, 2, 3]))
    out = row.as_json()
    assert "samples_ns" not in out
    json.dumps(out)  # every value is plain JSON
