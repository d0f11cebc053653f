"""CI smoke test of the QuickFIX Python binding's benchmark rows (tiny N, no timing assertions), its harness, and
the table's and --json's ratios against it. The rows need no QuickFIX C++ peer; they are skipped, with the reason,
where the binding is not installed (pip install quickfix-ssl)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
from rich.console import Console

from pyfixmsg_plus.bench.live import qfpy_harness
from pyfixmsg_plus.bench.live.qfpy_harness import BindingAvailability, PeerError
from pyfixmsg_plus.bench.live.qfpy_rows import qfpy_inbound, qfpy_outbound, qfpy_round_trip, qfpy_row
from pyfixmsg_plus.bench.live.results import (
    ECHO_FLOOR,
    PEER_FLOOR,
    QUICKFIX,
    QUICKFIX_PYTHON,
    LatencySummary,
    LiveResult,
)
from pyfixmsg_plus.bench.live.table import ratios, render_live_table

BLAST = 300
SAMPLES = 50


def test_inbound_row_counts_every_refresh_the_blaster_sent(binding: BindingAvailability) -> None:
    row = qfpy_row("inbound blast", lambda found: qfpy_inbound(BLAST, found, "inbound blast"))
    assert not row.unavailable, row.unavailable
    assert row.implementation == QUICKFIX_PYTHON
    # every MarketDataIncrementalRefresh reached the binding's fromApp, none twice
    assert (row.messages, row.details["peer_md_sent"]) == (BLAST, BLAST)
    assert row.seconds > 0 and row.details["receiver_first_to_last_s"] > 0
    assert row.details["binding"] == binding.version


def test_outbound_row_counts_orders_and_reports_both_sides(binding: BindingAvailability) -> None:
    row = qfpy_row("outbound blast", lambda found: qfpy_outbound(BLAST, found, "outbound blast"))
    assert not row.unavailable, row.unavailable
    assert row.messages == 2 * BLAST  # BLAST orders out, BLAST ExecutionReports back
    assert (row.details["orders_received_by_peer"], row.details["reports_received"]) == (BLAST, BLAST)
    assert row.seconds > 0


def test_round_trip_row_times_every_order(binding: BindingAvailability, tmp_path: Path) -> None:
    row = qfpy_row("round trip D->8", lambda found: qfpy_round_trip(SAMPLES, found, "round trip D->8", tmp_path))
    assert not row.unavailable, row.unavailable
    latency = row.latency
    assert latency is not None and latency.samples == SAMPLES
    assert 0 < latency.p50_us <= latency.p99_us <= latency.p999_us <= latency.max_us
    assert row.details["reports_received"] == SAMPLES
    assert row.samples_ns is not None and len(row.samples_ns) == SAMPLES


def test_the_harness_reports_a_gap_it_made_and_its_recovery(binding: BindingAvailability) -> None:
    """Two binding processes: the acceptor skips MsgSeqNum 4..5, the initiator asks for them with
    ResendRequest(2) and gets SequenceReset-GapFill(4); every order is still answered once."""
    with binding.peer("acceptor", sender_comp_id="QFA", target_comp_id="QFI", skip_seq_at=4, skip_count=2) as qfa:
        qfi = binding.peer("initiator", sender_comp_id="QFI", target_comp_id="QFA", port=qfa.port, orders=10)
        try:
            qfi.start()
            assert qfi.wait(30) == 0, qfi.output
        finally:
            qfi.stop()
        assert (qfa.wait_for("skipped_seq")["from"], qfa.wait_for("skipped_seq")["to"]) == (4, 6)
    sender, receiver = qfi.summary, qfa.summary
    assert sender is not None and receiver is not None
    assert (sender["orders_sent"], sender["reports_received"], receiver["orders_received"]) == (10, 10, 10)
    assert sender["admin_sent"].get("2", 0) >= 1 and receiver["admin_sent"].get("4", 0) >= 1


def test_an_initiator_without_an_acceptor_reports_no_logon(binding: BindingAvailability) -> None:
    port = qfpy_harness.free_port()  # nobody listens there
    peer = binding.peer("initiator", sender_comp_id="QFI", target_comp_id="QFA", port=port, orders=1,
                        logon_timeout_s=1, ready_timeout_s=10)  # fmt: skip
    with pytest.raises(PeerError, match="'logon'"):
        peer.start()
    assert "no logon within --logon-timeout 1.0 s" in peer.output


def test_without_the_binding_its_row_says_why(no_binding: Path) -> None:
    def must_not_run(_: BindingAvailability) -> LiveResult:
        raise AssertionError("measured without the binding")

    row = qfpy_row("inbound blast", must_not_run)
    assert row.implementation == QUICKFIX_PYTHON and row.messages == 0
    assert str(no_binding) in row.unavailable and qfpy_harness.PYTHON_ENV in row.unavailable
    with pytest.raises(RuntimeError, match="QuickFIX Python binding unavailable"):
        qfpy_harness.find_binding().peer("acceptor", sender_comp_id="A", target_comp_id="B")


def test_a_failed_run_is_an_unavailable_row_naming_the_error() -> None:
    def fails(_: BindingAvailability) -> LiveResult:
        raise PeerError("QuickFIX Python acceptor did not report 'started'\nlong output")

    found = qfpy_harness.find_binding()
    row = qfpy_row("outbound blast", fails)
    if found.available:
        assert row.unavailable == "the run failed: QuickFIX Python acceptor did not report 'started'"
    else:
        assert row.unavailable == found.reason


def test_dictionary_prefers_the_environment_then_the_cpp_peers_then_the_wheels(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(qfpy_harness.DICTIONARY_ENV, str(tmp_path / "mine.xml"))
    assert qfpy_harness.default_data_dictionary(None) == tmp_path / "mine.xml"
    monkeypatch.delenv(qfpy_harness.DICTIONARY_ENV)
    wheel = tmp_path / "share" / "quickfix" / "FIX44.xml"
    wheel.parent.mkdir(parents=True)
    wheel.write_text("<fix/>")
    monkeypatch.setattr(qfpy_harness, "SYSTEM_DICTIONARIES", ())
    monkeypatch.setattr(qfpy_harness, "CPP_PEER_DICTIONARY", tmp_path / "absent.xml")
    assert qfpy_harness.default_data_dictionary(tmp_path) == wheel
    assert qfpy_harness.default_data_dictionary(None) is None


def _rows() -> list[LiveResult]:
    return [
        LiveResult("inbound blast", QUICKFIX, messages=1000, seconds=1.0),
        LiveResult("inbound blast", QUICKFIX_PYTHON, messages=250, seconds=1.0),
        LiveResult("inbound blast", "ours", messages=1500, seconds=1.0),
        LiveResult("round trip D->8", QUICKFIX, messages=10, seconds=0.1,
                   latency=LatencySummary(10, 20.0, 40.0, 50.0, 60.0)),
        LiveResult("round trip D->8", QUICKFIX_PYTHON, messages=10, seconds=0.1,
                   latency=LatencySummary(10, 100.0, 200.0, 250.0, 300.0)),
        LiveResult("round trip D->8", "ours", messages=10, seconds=0.1,
                   latency=LatencySummary(10, 30.0, 100.0, 120.0, 130.0)),
    ]  # fmt: skip


def test_table_has_a_column_of_ratios_against_the_binding() -> None:
    console = Console(width=400, record=True)
    console.print(render_live_table(_rows(), "ratios"))
    text = console.export_text()
    assert "vs QuickFIX Python" in text
    ours_inbound = next(line for line in text.splitlines() if "inbound blast" in line and "ours" in line)
    assert "1.50x" in ours_inbound and "6.00x" in ours_inbound  # 1500/s against 1000/s and against 250/s
    ours_round_trip = next(line for line in text.splitlines() if "round trip" in line and "ours" in line)
    assert "p50 0.30x / p99 0.50x" in ours_round_trip  # 30 µs against 100 µs, 100 µs against 200 µs


def test_json_ratios_against_each_peer() -> None:
    rows = _rows()
    assert ratios(rows[2], rows) == {"vs_quickfix_cpp": 1.5, "vs_quickfix_python": 6.0, "vs_echo_floor": None,
                                     "vs_peer_floor": None}  # fmt: skip
    round_trip = ratios(rows[5], rows)
    assert round_trip["vs_quickfix_python"] == pytest.approx({"p50": 0.3, "p99": 0.5})
    assert round_trip["vs_quickfix_cpp"] == pytest.approx({"p50": 1.5, "p99": 2.5})
    assert ratios(rows[1], rows)["vs_quickfix_python"] is None  # no ratio of a row to itself
    floor = LiveResult("round trip D->8", ECHO_FLOOR, messages=10, seconds=0.1,
                       latency=LatencySummary(10, 10.0, 20.0, 30.0, 40.0))  # fmt: skip
    assert ratios(rows[5], [*rows, floor])["vs_echo_floor"] == pytest.approx({"p50": 3.0, "p99": 5.0})
    peer_floor = LiveResult("round trip D->8", PEER_FLOOR, messages=10, seconds=0.1,
                            latency=LatencySummary(10, 20.0, 50.0, 60.0, 70.0))  # fmt: skip
    with_both = [*rows, floor, peer_floor]
    assert ratios(rows[5], with_both)["vs_peer_floor"] == pytest.approx({"p50": 1.5, "p99": 2.0})
    console = Console(width=400, record=True)
    console.print(render_live_table(with_both, "peer floor"))
    ours = next(line for line in console.export_text().splitlines() if "round trip" in line and "ours" in line)
    assert ours.rstrip(" │").endswith("p50 1.50x / p99 2.00x")  # the last column: vs peer floor (30/20, 100/50)


def test_the_peer_script_needs_only_the_standard_library_and_quickfix() -> None:
    """It runs under another interpreter ($PYFIXMSG_PLUS_QFPY_PYTHON), which need not have pyfixmsg_plus."""
    tree = ast.parse(qfpy_harness.PEER_SCRIPT.read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}  # fmt: skip
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}  # fmt: skip
    assert imported - set(sys.stdlib_module_names) == {"quickfix", "quickfix44"}
