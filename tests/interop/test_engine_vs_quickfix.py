"""Our engine against QuickFIX C++ 1.15 (the ``qfpeer`` counterparty) over real TCP on 127.0.0.1.

Both directions: our initiator -> QuickFIX acceptor, QuickFIX initiator -> our acceptor. Each covers logon,
1,000 orders answered by execution reports, heartbeats during an idle period (HeartBtInt=1), a sequence gap the
peer makes on purpose (recovered by ResendRequest(2) and SequenceReset-GapFill(4)), a reconnect after the peer
restarts with sequence numbers kept (QuickFIX FileStore on the peer, SQLite on ours), TLS, and logout.

Skipped, with the reason, only when the peer cannot be built (no QuickFIX headers or compiler: run
scripts/install_quickfix.sh). Every scenario is bounded (interop_kit.SCENARIO_TIMEOUT_S) and stops its peer.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from interop_kit import (
    OURS,
    QUICKFIX,
    SHORT_HEARTBEAT_S,
    assert_each_order_filled_once,
    assert_fills,
    assert_gap_filled_by_the_peer,
    clordids,
    open_acceptor,
    our_initiator,
    our_initiator_recovers_the_peers_gap,
    run_initiator_to_its_end,
    run_scenario,
    send_orders,
    sequence_numbers,
)
from peer import PeerTLS, QuickFixPeer, free_port, make_self_signed_certificate, require_peer

from pyfixmsg_plus.application import Application
from pyfixmsg_plus.engine import FixEngine
from pyfixmsg_plus.testing import OrderFiller, RecordingApplication

ORDERS = 1000
#: Heartbeats(0) each side must send while both are idle (HeartBtInt=1 s)
IDLE_HEARTBEATS = 2
#: upper bound (s) of the idle period those heartbeats must come in. QuickFIX checks its heartbeat timer once a
#: second, so two come 1-2 s apart; a fixed 3.5 s sleep could see fewer on a slow or busy machine, so the test
#: waits for the heartbeats, with this margin
IDLE_TIMEOUT_S = 15.0


class SentHeartbeats(Application):
    """Counts the Heartbeat(0) messages our engine sends (toAdmin sees every outgoing admin message)."""

    heartbeats_sent = 0

    def toAdmin(self, message: Any, sessionID: Any) -> None:
        if message[35] == "0":
            self.heartbeats_sent += 1


class RecorderCountingHeartbeats(SentHeartbeats, RecordingApplication):
    """A RecordingApplication that also counts the Heartbeats we send."""


class FillerCountingHeartbeats(SentHeartbeats, OrderFiller):
    """An OrderFiller that also counts the Heartbeats we send."""


async def idle_until_heartbeats(
    app: RecorderCountingHeartbeats | FillerCountingHeartbeats, count: int = IDLE_HEARTBEATS
) -> None:
    """Send nothing until each side sent ``count`` more Heartbeat(0) messages (the peer's reach ``app``; ours
    are what the peer's summary counts); fail after ``IDLE_TIMEOUT_S`` seconds naming what was missing.

    Our own heartbeats are counted, not our MsgSeqNum(34): a late peer heartbeat makes us send a TestRequest(1),
    which is no heartbeat."""
    loop = asyncio.get_running_loop()
    theirs_wanted = app.admin_count("0") + count
    ours_wanted = app.heartbeats_sent + count
    deadline = loop.time() + IDLE_TIMEOUT_S
    while app.admin_count("0") < theirs_wanted or app.heartbeats_sent < ours_wanted:
        if loop.time() > deadline:
            theirs = app.admin_count("0") - theirs_wanted + count
            ours = app.heartbeats_sent - ours_wanted + count
            raise AssertionError(f"in {IDLE_TIMEOUT_S} s of silence the peer sent {theirs} of {count} "
                                 f"Heartbeat(0) messages and we sent {ours} of {count}")  # fmt: skip
        await asyncio.sleep(0.05)


@pytest.fixture(scope="module", autouse=True)
def quickfix_peer() -> Path:
    return require_peer()


def quickfix_acceptor(**options: Any) -> QuickFixPeer:
    return QuickFixPeer("acceptor", sender_comp_id=QUICKFIX, target_comp_id=OURS, **options)


def quickfix_initiator(port: int, **options: Any) -> QuickFixPeer:
    return QuickFixPeer("initiator", sender_comp_id=QUICKFIX, target_comp_id=OURS, port=port, **options)


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1/localhost and its key (PEM)."""
    return make_self_signed_certificate(tmp_path, "localhost")


# ---------------------------------------------------------------- our initiator -> QuickFIX acceptor


def test_initiator_logon_orders_heartbeats_logout() -> None:
    async def scenario() -> None:
        app = RecorderCountingHeartbeats()
        async with (
            quickfix_acceptor(heartbeat_s=SHORT_HEARTBEAT_S) as qf,
            await FixEngine.create(our_initiator(qf.port, heartbeat_s=SHORT_HEARTBEAT_S), app) as ours,
        ):
            assert await ours.wait_logged_on(10)
            await qf.await_event("logon", timeout_s=10)
            await send_orders(ours, clordids("I", ORDERS))
            assert_fills(await app.wait_for_count(ORDERS, "8", timeout=60), clordids("I", ORDERS))
            # HeartBtInt=1 s: QuickFIX sends a Heartbeat(0) each second of silence
            await idle_until_heartbeats(app)
            assert ours.state_machine.state.name == "ACTIVE"
            assert await ours.request_logoff(timeout=10)
            await qf.await_event("logout", timeout_s=10)
            assert app.logouts
            # Logon + 1000 orders + heartbeats + Logout: every number QuickFIX saw was ours
            assert sequence_numbers(ours)[0] == qf.events("logout")[-1]["next_target_seq"]
        summary = qf.summary
        assert summary is not None
        assert (summary["orders_received"], summary["reports_sent"]) == (ORDERS, ORDERS)
        assert summary["admin_received"].get("0", 0) >= 2  # our Heartbeats during the idle period
        assert summary["admin_received"].get("5") == 1

    run_scenario(scenario())


def test_initiator_recovers_a_gap_made_by_quickfix() -> None:
    """QuickFIX jumps from MsgSeqNum 5 to 8: we ask with ResendRequest(2), QuickFIX answers with
    SequenceReset-GapFill(4) and replays the reports after it; each report reaches our application once."""

    async def scenario() -> None:
        app = RecordingApplication()
        async with (
            quickfix_acceptor(skip_seq_at=5, skip_count=3) as qf,
            await FixEngine.create(our_initiator(qf.port), app) as ours,
        ):
            await our_initiator_recovers_the_peers_gap(qf, ours, app, skipped=(5, 8))
        assert_gap_filled_by_the_peer(qf.summary)

    run_scenario(scenario())


def test_initiator_reconnects_after_quickfix_restarts_with_numbers_kept(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = RecordingApplication()
        ours_db = tmp_path / "ours.db"
        async with quickfix_acceptor(store_dir=tmp_path / "qf") as qf:
            ours = await FixEngine.create(our_initiator(qf.port, store=ours_db), app)
            await ours.open()
            try:
                assert await ours.wait_logged_on(10)
                await send_orders(ours, clordids("A", 5))
                await app.wait_for_count(5, "8", timeout=10)
                await qf.arestart()  # QuickFIX logs out, exits, and comes back on the same port and store
                relogon = await qf.await_event("logon", timeout_s=20)
                assert await ours.wait_logged_on(10)
                # nobody reset: QuickFIX expects our next number and we expect its next one
                assert relogon["next_target_seq"] > 7
                await send_orders(ours, clordids("B", 5))
                assert_fills((await app.wait_for_count(10, "8", timeout=10))[5:], clordids("B", 5))
                assert len(app.logons) == 2
            finally:
                await ours.disconnect()
            # our side restarts too: a new engine on the same SQLite store resumes the numbers
            before = sequence_numbers(ours)
            again = await FixEngine.create(our_initiator(qf.port, store=ours_db), RecordingApplication())
            async with again:
                assert await again.wait_logged_on(10)
                assert sequence_numbers(again)[0] == before[0] + 1  # the Logon just sent used `before[0]`
                await send_orders(again, clordids("C", 3))
                await again.application.wait_for_count(3, "8", timeout=10)  # type: ignore[attr-defined]
        summary = qf.summary
        assert summary is not None
        assert summary["orders_received"] == 8  # counters are per process: the restarted one saw B0..B4, C0..C2

    run_scenario(scenario())


def test_initiator_over_tls_to_quickfix(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate

    async def scenario() -> None:
        app = RecordingApplication()
        async with quickfix_acceptor(tls=PeerTLS(cert=cert, key=key)) as qf:
            config = our_initiator(qf.port, tls={"SSLCACertificate": str(cert), "SSLServerName": "localhost"})
            async with await FixEngine.create(config, app) as ours:
                assert await ours.wait_logged_on(10)
                await send_orders(ours, clordids("T", 100))
                assert_fills(await app.wait_for_count(100, "8", timeout=20), clordids("T", 100))
                assert await ours.request_logoff(timeout=10)
        summary = qf.summary
        assert summary is not None and summary["orders_received"] == 100

    run_scenario(scenario())


# ---------------------------------------------------------------- QuickFIX initiator -> our acceptor


def test_acceptor_logon_orders_heartbeats_logout() -> None:
    async def scenario() -> None:
        app = FillerCountingHeartbeats()
        port = free_port()
        ours = await open_acceptor(app, port, heartbeat_s=SHORT_HEARTBEAT_S)
        qf = quickfix_initiator(port, heartbeat_s=SHORT_HEARTBEAT_S, orders=ORDERS, linger=True)
        try:
            await qf.astart()
            assert await ours.wait_logged_on(10)
            done = await qf.await_event("work_done", timeout_s=60)
            assert done["complete"] is True
            await idle_until_heartbeats(app)
            await qf.astop()  # QuickFIX sends Logout(5); we answer it
            assert await ours.wait_disconnected(10)
            assert app.logouts
        finally:
            await qf.astop()
            await ours.disconnect()
        assert app.fills == ORDERS
        assert [m[11] for m in app.received] == [f"C{n}" for n in range(1, ORDERS + 1)]
        summary = qf.summary
        assert summary is not None
        assert (summary["orders_sent"], summary["reports_received"]) == (ORDERS, ORDERS)
        assert summary["admin_received"].get("0", 0) >= 2  # our Heartbeats during the idle period
        assert summary["admin_received"].get("5") == 1  # our answer to its Logout

    run_scenario(scenario())


def test_acceptor_recovers_a_gap_made_by_quickfix() -> None:
    async def scenario() -> None:
        app = OrderFiller()
        port = free_port()
        ours = await open_acceptor(app, port)
        qf = quickfix_initiator(port, orders=20, skip_seq_at=6, skip_count=4)
        await run_initiator_to_its_end(qf, ours)
        assert_each_order_filled_once(app, qf.summary, 20)

    run_scenario(scenario())


def test_acceptor_keeps_numbers_when_quickfix_and_we_restart(tmp_path: Path) -> None:
    async def scenario() -> None:
        port = free_port()
        ours_db = tmp_path / "ours.db"
        first = OrderFiller()
        ours = await open_acceptor(first, port, store=ours_db)
        qf = quickfix_initiator(port, store_dir=tmp_path / "qf", orders=5, linger=True)
        try:
            await qf.astart()
            await qf.await_event("work_done", timeout_s=20)
            await qf.arestart()  # logs out, exits, starts again from its FileStore, sends 5 more
            relogon = qf.events("logon")[-1]
            assert relogon["next_sender_seq"] > 7  # QuickFIX did not reset
            await qf.await_event("work_done", timeout_s=20)
            await qf.astop()
            numbers = sequence_numbers(ours)
            await ours.disconnect()
            assert first.fills == 10
            # our acceptor restarts from its SQLite store; QuickFIX comes back a third time
            second = OrderFiller()
            ours = await open_acceptor(second, port, store=ours_db)
            assert sequence_numbers(ours) == numbers
            await qf.astart()
            await qf.await_event("work_done", timeout_s=20)
            assert second.fills == 5
            assert not second.admin_count("4")  # nothing was lost: no gap to fill
        finally:
            await qf.astop()
            await ours.disconnect()

    run_scenario(scenario())


def test_acceptor_over_tls_with_client_certificate(tmp_path: Path, certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    client_cert, client_key = make_self_signed_certificate(tmp_path, "qfclient")

    async def scenario() -> None:
        app = OrderFiller()
        port = free_port()
        tls = {"SSLCertificate": str(cert), "SSLPrivateKey": str(key), "SSLCACertificate": str(client_cert),
               "SSLRequireClientCertificate": "Y"}  # fmt: skip
        ours = await open_acceptor(app, port, tls=tls)
        qf = quickfix_initiator(
            port, orders=100, tls=PeerTLS(cert=client_cert, key=client_key, ca=cert, verify_level=1)
        )
        await run_initiator_to_its_end(qf, ours)
        summary = qf.summary
        assert summary is not None and summary["reports_received"] == 100
        assert app.fills == 100

    run_scenario(scenario())
