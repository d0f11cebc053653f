"""The engine over real loopback sockets: logon/logout, orders and fills, many sessions on one port, unknown
CompIDs refused, reconnect keeping sequence numbers, resend from the store after a gap. Every test is bounded."""

from __future__ import annotations

import asyncio
import gc
import logging
from pathlib import Path
from typing import Any

import pytest
from engine_kit import Client, Executor, acceptor_config, eventually, free_port, initiator_config, order, run_bounded

from pyfixmsg_plus.engine import FixEngine
from pyfixmsg_plus.session import SessionState


async def _pair(tmp_path: Path, clients: list[str], **acceptor_defaults: Any) -> tuple[FixEngine, Executor, int]:
    port = free_port()
    executor = Executor()
    acceptor = await FixEngine.create(
        acceptor_config(port, clients, tmp_path / "acceptor.db", **acceptor_defaults), executor
    )
    executor.engine = acceptor
    await acceptor.open()
    return acceptor, executor, port


#: upper bound (s) of a wait for something that must happen soon (generous: a slow or busy machine)
EVENTUALLY_S = 10.0


def test_logon_orders_fills_logout(tmp_path: Path) -> None:
    async def scenario() -> None:
        acceptor, executor, port = await _pair(tmp_path, ["CLIENT"])
        client = Client()
        async with await FixEngine.create(initiator_config(port, "CLIENT", tmp_path / "c.db"), client) as engine:
            assert await engine.wait_logged_on(5)
            assert engine.state_machine.state.name == "ACTIVE"
            for n in range(50):
                assert await engine.send_message(order(engine, f"C{n}"))
            fills = [await asyncio.wait_for(client.received.get(), 5) for _ in range(50)]
            assert [f[11] for f in fills] == [f"C{n}" for n in range(50)]
            assert all(f[35] == "8" and f[39] == "2" for f in fills)
            assert await engine.request_logoff(timeout=5)
            assert engine.state_machine.state in (SessionState.RECONNECTING, SessionState.DISCONNECTED)
            # Logon (1) + 50 orders + Logout: the next number is 53
            assert await engine.message_store.get_next_outgoing_sequence_number() == 53
        assert executor.created == list(acceptor.runners)
        assert len(executor.logons) == 1
        await acceptor.disconnect()

    run_bounded(scenario())


def test_many_sessions_on_one_port_and_unknown_compid_refused(tmp_path: Path) -> None:
    async def scenario() -> None:
        names = [f"CL{i}" for i in range(4)]
        acceptor, executor, port = await _pair(tmp_path, names)
        engines = [await FixEngine.create(initiator_config(port, n), Client()) for n in names]
        for engine in engines:
            await engine.open()
        assert all(await asyncio.gather(*(e.wait_logged_on(5) for e in engines)))
        for engine in engines:
            await engine.send_message(order(engine, f"{engine.sender}-1"))
        got = [await asyncio.wait_for(e.application.received.get(), 5) for e in engines]  # type: ignore[attr-defined]
        assert [m[11] for m in got] == [f"{n}-1" for n in names]
        # every fill went back on its own session
        assert [m[56] for m in got] == names
        stranger = await FixEngine.create(initiator_config(port, "STRANGER", ReconnectMaxRetries=0), Client())
        await stranger.open()
        assert not await stranger.wait_logged_on(1.0)
        # the refusal itself may come after that second on a busy machine: wait for it (bounded)
        refused = await eventually(lambda: acceptor.routers[0].refused >= 1, EVENTUALLY_S)
        assert refused, "the STRANGER connection was not refused"
        assert "STRANGER" not in {sid.target_comp_id for sid in executor.logons}
        await stranger.disconnect(graceful=False)
        for engine in engines:
            await engine.disconnect()
        await acceptor.disconnect()

    run_bounded(scenario())


def test_reconnect_keeps_sequence_numbers(tmp_path: Path) -> None:
    async def scenario() -> None:
        acceptor, executor, port = await _pair(tmp_path, ["CLIENT"])
        store = tmp_path / "client.db"
        async with await FixEngine.create(initiator_config(port, "CLIENT", store), Client()) as engine:
            assert await engine.wait_logged_on(5)
            for n in range(5):
                await engine.send_message(order(engine, f"A{n}"))
            await asyncio.wait_for(_fills(engine, 5), 5)
        # a new engine on the same store resumes above every number used: Logon + 5 orders + Logout = 7
        client = Client()
        async with await FixEngine.create(initiator_config(port, "CLIENT", store), client) as engine:
            assert await engine.message_store.get_next_outgoing_sequence_number() == 8
            assert await engine.wait_logged_on(5)
            await engine.send_message(order(engine, "B0"))
            fill = await asyncio.wait_for(client.received.get(), 5)
            assert fill[11] == "B0"
            assert int(fill[34]) == 9  # the acceptor kept its numbers too: Logon 1, fills 2-6, Logout 7, Logon 8
        assert len(executor.logons) == 2
        await acceptor.disconnect()

    run_bounded(scenario())


async def _fills(engine: FixEngine, count: int) -> None:
    for _ in range(count):
        await engine.application.received.get()  # type: ignore[attr-defined]


def test_resend_from_store_after_gap(tmp_path: Path) -> None:
    async def scenario() -> None:
        acceptor, executor, port = await _pair(tmp_path, ["CLIENT"])
        seen: list[tuple[str, str | None]] = []
        executor.add_middleware(lambda m, sid: seen.append((m.get(11), m.get(43))) or m, "inbound")
        client = Client()
        async with await FixEngine.create(initiator_config(port, "CLIENT", tmp_path / "c.db"), client) as engine:
            assert await engine.wait_logged_on(5)
            for n in range(3):
                await engine.send_message(order(engine, f"G{n}"))
            await asyncio.wait_for(_fills(engine, 3), 5)
            # the acceptor forgets the last three orders: the next one reveals a gap, answered from the store
            runner = acceptor.runner()
            await acceptor.set_inbound_sequence_number(runner.session.next_target_seqnum - 3)
            await engine.send_message(order(engine, "G3"))
            await asyncio.wait_for(_fills(engine, 4), 5)
        replayed = [clordid for clordid, possdup in seen if possdup == "Y"]
        assert replayed == ["G0", "G1", "G2"]
        assert executor.orders == ["G0", "G1", "G2", "G0", "G1", "G2", "G3"]
        await acceptor.disconnect()

    run_bounded(scenario())


@pytest.mark.parametrize("mode", ["sync", "group", "write_behind"])
def test_persistence_modes(tmp_path: Path, mode: str) -> None:
    """sync/group: each order is in the sender's store before the counterparty sees it; write_behind: all are
    stored by the time the engine stops."""

    async def scenario() -> None:
        acceptor, executor, port = await _pair(tmp_path, ["CLIENT"])
        client = Client()
        engine = await FixEngine.create(
            initiator_config(port, "CLIENT", tmp_path / "c.db", PersistenceMode=mode), client
        )
        stored_when_seen: list[bool] = []

        async def check_sender_store(message: Any, sid: Any) -> Any:
            if message.get(35) == "D":
                found = await engine.message_store.get_message("FIX.4.4", "CLIENT", "EXEC", int(message[34]))
                stored_when_seen.append(found is not None and b"\x0111=" + message[11].encode() in found)
            return message

        executor.add_middleware(check_sender_store, "inbound")
        async with engine:
            assert await engine.wait_logged_on(5)
            for n in range(20):
                await engine.send_message(order(engine, f"P{n}"))
            await asyncio.wait_for(_fills(engine, 20), 5)
            store = engine.message_store
        if mode != "write_behind":
            assert stored_when_seen == [True] * 20
        reopened = type(store)(tmp_path / "c.db")
        async with reopened:
            from pyfixmsg_plus.store import SessionKey

            kept = await reopened.get_outbound(SessionKey("FIX.4.4", "CLIENT", "EXEC"), 1, 0)
        assert [m.msg_type for m in kept].count("D") == 20
        await acceptor.disconnect()

    run_bounded(scenario())


def test_logon_refused_by_application(tmp_path: Path) -> None:
    async def scenario() -> None:
        port = free_port()

        class Strict(Executor):
            async def onLogonRequest(self, message: Any, sessionID: Any) -> bool | str:
                return "bad password" if message.get(554) != "secret" else True

        strict = Strict()
        acceptor = await FixEngine.create(acceptor_config(port, ["CLIENT"]), strict)
        strict.engine = acceptor
        await acceptor.open()
        wrong_config = initiator_config(port, "CLIENT", Password="nope", ReconnectMaxRetries=0)
        wrong = await FixEngine.create(wrong_config, Client())
        await wrong.open()
        assert not await wrong.wait_logged_on(1.0)
        await wrong.disconnect(graceful=False)
        right = await FixEngine.create(initiator_config(port, "CLIENT", Password="secret"), Client())
        async with right:
            assert await right.wait_logged_on(5)
        assert len(strict.logons) == 1
        await acceptor.disconnect()

    run_bounded(scenario())


def test_an_initiator_that_gives_up_is_logged_not_left_unretrieved(caplog: pytest.LogCaptureFixture) -> None:
    """ReconnectMaxRetries reached: the engine logs the give-up naming the session; asyncio reports no task
    exception that was never retrieved (the connect loop's task ends with ReconnectGaveUp)."""
    port = free_port()  # nothing listens there

    async def give_up() -> None:
        engine = await FixEngine.create(initiator_config(port, "LONELY", ReconnectMaxRetries=0), Client())
        await engine.open()
        initiator = engine.initiators[engine.session_id]
        assert await eventually(lambda: not initiator.is_running, EVENTUALLY_S)
        await engine.disconnect(graceful=False)

    async def scenario() -> list[str]:
        loop_errors: list[str] = []
        asyncio.get_running_loop().set_exception_handler(lambda _loop, ctx: loop_errors.append(ctx["message"]))
        await give_up()
        gc.collect()  # the engine and its initiator's task are gone: an unretrieved exception is reported now
        await asyncio.sleep(0)
        return loop_errors

    with caplog.at_level(logging.WARNING, logger="pyfixmsg_plus.engine"):
        loop_errors = run_bounded(scenario())
    assert loop_errors == []
    assert any("LONELY" in r.getMessage() and "stopped connecting" in r.getMessage() for r in caplog.records)
