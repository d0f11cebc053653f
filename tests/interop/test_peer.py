"""Tests of qfpeer itself, QuickFIX against QuickFIX: the counterparty the engine's interop tests rely on.

Skipped, with the reason, when QuickFIX C++ cannot be built here (run scripts/install_quickfix.sh first).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from peer import (
    PeerError,
    PeerTLS,
    QuickFixPeer,
    free_port,
    make_self_signed_certificate,
    require_peer,
)

ACCEPTOR_ID, INITIATOR_ID = "QFACC", "QFINI"


@pytest.fixture(scope="module")
def peer_binary() -> Path:
    return require_peer()


def acceptor(**options: object) -> QuickFixPeer:
    return QuickFixPeer("acceptor", sender_comp_id=ACCEPTOR_ID, target_comp_id=INITIATOR_ID, **options)  # type: ignore[arg-type]


def initiator(port: int, **options: object) -> QuickFixPeer:
    return QuickFixPeer(
        "initiator",
        sender_comp_id=INITIATOR_ID,
        target_comp_id=ACCEPTOR_ID,
        port=port,
        **options,  # type: ignore[arg-type]
    )


def run_initiator(port: int, **options: object) -> dict:
    """Runs an initiator with a workload to its end (logon, work, logout); returns its summary."""
    client = initiator(port, **options).start()
    try:
        assert client.wait(timeout_s=60) == 0, client.output
    finally:
        client.stop()
    assert client.summary is not None
    return client.summary


# --- the harness without QuickFIX ------------------------------------------------------------------------------


def test_command_line_carries_the_workload_and_tls_options(tmp_path: Path) -> None:
    peer = QuickFixPeer(
        "initiator", sender_comp_id="A", target_comp_id="B", port=9999, data_dictionary=None,
        orders=7, skip_seq_at=4, skip_count=2, store_dir=tmp_path,
        tls=PeerTLS(ca=tmp_path / "ca.pem", verify_level=1), binary=Path("/bin/qfpeer"),
    )  # fmt: skip
    command = peer.command
    pairs = dict(zip(command[1::2], command[2::2], strict=False))
    assert command[0] == "/bin/qfpeer"
    assert [command[command.index(flag) + 1] for flag in ("--orders", "--skip-seq-at", "--skip-count")] == [
        "7", "4", "2",
    ]  # fmt: skip
    assert pairs["--mode"] == "initiator" and pairs["--port"] == "9999"
    assert command[command.index("--store-dir") + 1] == str(tmp_path)
    assert command[command.index("--tls-ca") + 1] == str(tmp_path / "ca.pem")
    assert "--tls-cert" not in command and "--dictionary" not in command


# --- QuickFIX against QuickFIX -----------------------------------------------------------------------------------


def test_bad_option_is_named_with_its_value(peer_binary: Path) -> None:
    completed = subprocess.run(
        [str(peer_binary), "--mode", "acceptor", "--port", "abc", "--sender", "A", "--target", "B"],
        capture_output=True, text=True, timeout=10, check=False,
    )  # fmt: skip
    assert completed.returncode == 2
    assert "--port" in completed.stderr and "'abc'" in completed.stderr


def test_orders_are_filled_between_two_peers(peer_binary: Path) -> None:
    orders = 500
    with acceptor() as server:
        client = run_initiator(server.port, orders=orders)
        server.wait_for("logout")
    served = server.summary
    assert served is not None
    assert (client["orders_sent"], client["reports_received"], client["work_complete"]) == (orders, orders, True)
    assert (served["orders_received"], served["reports_sent"]) == (orders, orders)
    # One Logon (A) and one Logout (5) each way; the sequence numbers count them and every order and report.
    assert client["admin_sent"]["A"] == served["admin_sent"]["A"] == 1
    assert client["admin_received"]["5"] == served["admin_received"]["5"] == 1
    assert client["next_sender_seq"] == served["next_target_seq"] == orders + 3
    assert client["messages_per_s"] > 0 and client["elapsed_s"] > 0


def test_round_trip_records_one_latency_per_order(peer_binary: Path, tmp_path: Path) -> None:
    orders, latency_file = 50, tmp_path / "latency_ns.txt"
    with acceptor() as server:
        client = run_initiator(server.port, orders=orders, round_trip=True, latency_file=latency_file)
    samples = [int(line) for line in latency_file.read_text().split()]
    assert len(samples) == orders and all(sample > 0 for sample in samples)
    stats = client["latency_ns"]
    assert stats["count"] == orders
    assert min(samples) <= stats["p50"] <= stats["p99"] <= stats["max"] == max(samples)


def test_market_data_burst_carries_one_to_five_entries(peer_binary: Path) -> None:
    burst = 100
    with acceptor() as server:
        client = run_initiator(server.port, md_burst=burst)
        server.wait_for("logout")
    served = server.summary
    assert served is not None
    assert client["md_sent"] == served["md_received"] == burst
    # Refresh number i carries i % 5 + 1 NoMDEntries (268) entries.
    assert served["md_entries_received"] == sum(i % 5 + 1 for i in range(1, burst + 1))


def test_skipped_sequence_numbers_are_recovered_by_gap_fill(peer_binary: Path) -> None:
    orders = 20
    with acceptor() as server:
        client_peer = initiator(server.port, orders=orders, skip_seq_at=6, skip_count=3).start()
        assert client_peer.wait(timeout_s=60) == 0, client_peer.output
        skipped = client_peer.events("skipped_seq")
        server.wait_for("logout")
    client = client_peer.summary
    served = server.summary
    assert client is not None and served is not None
    assert [(e["from"], e["to"]) for e in skipped] == [(6, 9)]
    # The acceptor saw MsgSeqNum 9 while expecting 6: ResendRequest (2), answered by SequenceReset-GapFill (4)
    # for 6-8 and the stored orders resent; every order is still filled exactly once.
    assert served["admin_sent"].get("2", 0) >= 1 and served["admin_received"].get("4", 0) >= 1
    assert client["admin_sent"].get("4", 0) >= 1
    assert client["reports_received"] == orders and client["work_complete"]
    assert client["next_sender_seq"] == served["next_target_seq"] == orders + 3 + 3


def test_sequence_numbers_survive_a_restart_with_file_stores(peer_binary: Path, tmp_path: Path) -> None:
    server = acceptor(store_dir=tmp_path / "acceptor")
    with server:
        first = run_initiator(server.port, orders=5, store_dir=tmp_path / "initiator")
        server.restart()
        second_peer = initiator(server.port, orders=5, store_dir=tmp_path / "initiator").start()
        assert second_peer.wait(timeout_s=60) == 0, second_peer.output
        server.wait_for("logout")
    second = second_peer.summary
    assert second is not None
    # Logon, 5 orders, Logout: 7 numbers each run, continued (no ResetOnLogon) rather than restarted at 1.
    assert first["next_sender_seq"] == 1 + 7
    assert second_peer.events("logon")[0]["next_sender_seq"] == first["next_sender_seq"] + 1
    assert second["next_sender_seq"] == 1 + 14 and second["reports_received"] == 5


def test_tls_session_fills_orders(peer_binary: Path, tmp_path: Path) -> None:
    cert, key = make_self_signed_certificate(tmp_path)
    with acceptor(tls=PeerTLS(cert=cert, key=key)) as server:
        client = run_initiator(server.port, orders=20, tls=PeerTLS(ca=cert, verify_level=1))
    assert server.events("started")[0]["tls"] is True
    assert client["reports_received"] == 20


def test_tls_initiator_refuses_an_untrusted_server(peer_binary: Path, tmp_path: Path) -> None:
    cert, key = make_self_signed_certificate(tmp_path, "server")
    stranger, _ = make_self_signed_certificate(tmp_path, "stranger")
    with acceptor(tls=PeerTLS(cert=cert, key=key)) as server:
        client = initiator(
            server.port, orders=1, tls=PeerTLS(ca=stranger, verify_level=1),
            logon_timeout_s=2, stop_grace_s=2, ready="started",
        ).start()  # fmt: skip
        code = client.wait(timeout_s=30)
    assert code != 0
    assert client.events("logon") == [] and server.events("logon") == []
    assert "no logon" in client.events("error")[0]["reason"]


def test_peer_that_cannot_log_on_reports_why(peer_binary: Path) -> None:
    client = initiator(free_port(), orders=1, logon_timeout_s=1, stop_grace_s=2, ready="logon", ready_timeout_s=5)
    with pytest.raises(PeerError, match="'logon'"):
        client.start()
    assert client.returncode is not None
