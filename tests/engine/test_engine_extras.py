"""TLS sessions, the live demo, ClOrdID generators and the original import paths."""

from __future__ import annotations

import asyncio
import datetime
from pathlib import Path

import pytest
from engine_kit import (
    Client,
    Executor,
    acceptor_config,
    free_port,
    initiator_config,
    order,
    run_bounded,
    self_signed_localhost,
)

from pyfixmsg_plus.application import Application
from pyfixmsg_plus.engine import FixEngine
from pyfixmsg_plus.engine.session_runner import SessionNotDisconnected
from pyfixmsg_plus.engine_demo import run_live_demo
from pyfixmsg_plus.idgen import NumericClOrdIdGenerator, YMDClOrdIdGenerator


def test_tls_session(tmp_path: Path) -> None:
    pytest.importorskip("cryptography")
    cert, key = self_signed_localhost(tmp_path)

    async def scenario() -> None:
        port = free_port()
        executor = Executor()
        acceptor = await FixEngine.create(acceptor_config(
            port, ["CLIENT"], SocketUseSSL="Y", SSLCertificate=str(cert), SSLPrivateKey=str(key)), executor)
        executor.engine = acceptor
        client = Client()
        async with acceptor, await FixEngine.create(
            initiator_config(port, "CLIENT", SocketUseSSL="Y", SSLCACertificate=str(cert)), client) as engine:
            assert await engine.wait_logged_on(5)
            await engine.send_message(order(engine, "T1"))
            fill = await asyncio.wait_for(client.received.get(), 5)
            assert fill[11] == "T1"
            runner = engine.runner()
            assert runner.conn is not None and runner.conn.get_extra_info("ssl_object") is not None

    run_bounded(scenario())


def test_live_demo_summary(tmp_path: Path) -> None:
    summary = run_bounded(run_live_demo(50, 500, tmp_path / "demo.db"), timeout=60)
    assert (summary.orders, summary.fills, summary.md_messages) == (50, 50, 500)
    assert summary.messages_per_second > 0
    assert (tmp_path / "demo.db").is_file()


def test_clordid_generators() -> None:
    numeric = NumericClOrdIdGenerator(start=7, prefix="X")
    assert [numeric.next_id() for _ in range(3)] == ["X7", "X8", "X9"]
    days = iter([datetime.date(2024, 6, 3)] * 2 + [datetime.date(2024, 6, 4)])
    ymd = YMDClOrdIdGenerator(today=lambda: next(days))
    assert [ymd.next_id() for _ in range(3)] == ["20240603000001", "20240603000002", "20240604000001"]


def test_original_import_paths() -> None:
    from pyfixmsg_plus.fixengine.application import Application
    from pyfixmsg_plus.fixengine.engine import FixEngine as Original
    from pyfixmsg_plus.fixengine.state_machine import StateMachine

    assert Original is FixEngine
    assert Application.__name__ == "Application"
    assert StateMachine().state.name == "DISCONNECTED"


def test_offline_reset_puts_both_numbers_back_to_one_and_is_refused_while_a_connection_holds_it(
    tmp_path: Path,
) -> None:
    """reset_sequence_numbers() outside Active: store and session to 1; never while a connection is being routed
    to the session (a session left at N over a store reset to 1 would reuse numbers after a restart)."""
    async def scenario() -> None:
        engine = await FixEngine.create(acceptor_config(free_port(), ["CLIENT"], tmp_path / "acc.db"), Application())
        await engine.initialize()
        try:
            await engine.set_sequence_numbers(incoming_seqnum=7, outgoing_seqnum=9)
            runner = engine.runner()
            assert runner.claim()  # a connection is being routed to the session
            with pytest.raises(SessionNotDisconnected, match="cannot reset the sequence numbers"):
                await engine.reset_sequence_numbers()
            assert (runner.session.next_sender_seqnum, runner.session.next_target_seqnum) == (9, 7)
            state = await runner.store.sequence_state(runner.key)
            assert (state.next_sender_seqnum, state.next_target_seqnum) == (9, 7)
            runner.release()
            await engine.reset_sequence_numbers()
            assert (runner.session.next_sender_seqnum, runner.session.next_target_seqnum) == (1, 1)
            state = await runner.store.sequence_state(runner.key)
            assert (state.next_sender_seqnum, state.next_target_seqnum) == (1, 1)
        finally:
            await engine.disconnect()

    run_bounded(scenario())
