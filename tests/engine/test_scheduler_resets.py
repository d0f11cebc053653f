"""``[Scheduler] schedules`` resets that must never leave a session above its store: a Logon arriving during a
slow scheduled reset, a connection routed to the session as the reset starts, and a reset missed while the engine
was down (performed at start-up, memory and sqlite stores). Every test is bounded."""

from __future__ import annotations

import asyncio
import datetime
import logging
import time
from pathlib import Path
from typing import Any

import pytest
from engine_kit import acceptor_config, free_port, initiator_config, run_bounded
from test_engine_schedule import logon_and_read_until_closed, logon_frame
from test_scheduler_engine import OFFICE_HOURS, SteppedClock, at, eventually, field, open_on, scheduled

from pyfixmsg_plus.application import Application
from pyfixmsg_plus.engine import FixEngine
from pyfixmsg_plus.engine.scheduler import REOPENS_AFTER_RESET
from pyfixmsg_plus.engine.session_runner import SessionRunner
from pyfixmsg_plus.session import SessionState
from pyfixmsg_plus.store import SessionKey

DAY = 86400.0
DAILY_RESET = [{"time": "00:00", "action": "reset"}]


def just_after_next_midnight() -> float:
    """00:05 UTC of tomorrow (real date), epoch seconds: a store created now was created "yesterday" then."""
    today = datetime.datetime.now(datetime.UTC).date()
    midnight = datetime.datetime.combine(today, datetime.time(0, 0), tzinfo=datetime.UTC).timestamp()
    return midnight + DAY + 5 * 60


def slow_down_store_reset(runner: SessionRunner, seconds: float) -> None:
    """Make ``runner``'s store take ``seconds`` to reset (a slow disk or a busy sqlite file)."""
    original = runner.store.reset

    async def slow_reset(session: SessionKey) -> None:
        await asyncio.sleep(seconds)
        await original(session)

    runner.store.reset = slow_reset  # type: ignore[method-assign]


async def numbers(runner: SessionRunner) -> tuple[tuple[int, int], tuple[int, int]]:
    """(next sender, next target) of the session, then of its store."""
    await runner.flush()
    session = (runner.session.next_sender_seqnum, runner.session.next_target_seqnum)
    store = (await runner.store.next_sender_seqnum(runner.key), await runner.store.next_target_seqnum(runner.key))
    return session, store


async def logon_and_read_first_answer(port: int, seqnum: int) -> bytes:
    """Connect as CLIENT, send a Logon with MsgSeqNum(34) ``seqnum`` and return the acceptor's first whole frame
    (Logout(35=5) refusing it or Logon(35=A) accepting it; bounded)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(logon_frame(seqnum=seqnum))
    try:
        answer = await asyncio.wait_for(reader.readuntil(b"\x0110="), 10)
        return answer + await asyncio.wait_for(reader.readuntil(b"\x01"), 10)
    finally:
        writer.close()


def frames_of(answer: bytes) -> list[tuple[str | None, str | None]]:
    """(MsgType(35), MsgSeqNum(34)) of each frame in the bytes a peer received."""
    return [(field(f, 35), field(f, 34)) for f in answer.split(b"\x0110=") if b"35=" in f]


# ---------------------------------------------------------------------------------------------------- the race
def test_a_logon_during_a_slow_scheduled_reset_is_refused_unanswered_and_the_next_one_is_answered_with_1(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # QuickFIX refuses a Logon outside session time by disconnecting: the acceptor closes the connection without
    # a Logout(35=5), which would take MsgSeqNum(34) 1 after the reset (the next Logon then answered with 2)
    async def scenario() -> None:
        port = free_port()
        clock = SteppedClock(at("10:00"))
        config = scheduled(acceptor_config(port, ["CLIENT"]), [*OFFICE_HOURS, {"time": "12:00", "action": "reset"}])
        engine = await FixEngine.create(config, Application())
        await engine.initialize()
        await engine.set_sequence_numbers(outgoing_seqnum=40, incoming_seqnum=40)
        runner = engine.runner()
        slow_down_store_reset(runner, 0.5)
        scheduler = await open_on(engine, clock)
        clock.move_to(at("12:00"))
        await asyncio.sleep(0.1)  # the store reset is under way
        refused = await logon_and_read_until_closed(port, seqnum=41)
        refused_during_the_reset = not scheduler.running
        assert await eventually(lambda: scheduler.running)
        assert await numbers(runner) == ((1, 1), (1, 1))  # the refusal took no MsgSeqNum(34)
        assert await runner.store.get_outbound(runner.key, 1, 0) == []
        assert refused == b"" and refused_during_the_reset  # closed without an answer: no Logout(35=5)

        answer = frames_of(await logon_and_read_first_answer(port, seqnum=1))
        assert answer == [("A", "1")]
        await engine.disconnect()

    with caplog.at_level(logging.INFO, logger="pyfixmsg_plus.engine"):
        run_bounded(scenario())
    refusals = [r.getMessage() for r in caplog.records if "refused connection" in r.getMessage()]
    assert len(refusals) == 1
    assert "FIX.4.4:EXEC->CLIENT" in refusals[0] and REOPENS_AFTER_RESET in refusals[0]


class HeldLogonCheck(Application):
    """An async onLogonRequest that answers only once the test releases it (a slow credentials service)."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = asyncio.Event()
        self.release = asyncio.Event()

    async def onLogonRequest(self, message: Any, sessionID: Any) -> bool:
        self.asked.set()
        await self.release.wait()
        return True


def test_a_logon_in_the_application_check_when_a_reset_begins_is_refused_unanswered_after_it() -> None:
    async def scenario() -> None:
        port = free_port()
        clock = SteppedClock(at("10:00"))
        app = HeldLogonCheck()
        config = scheduled(acceptor_config(port, ["CLIENT"]), [*OFFICE_HOURS, {"time": "12:00", "action": "reset"}])
        engine = await FixEngine.create(config, app)
        await engine.initialize()
        await engine.set_sequence_numbers(outgoing_seqnum=40, incoming_seqnum=40)
        runner = engine.runner()
        scheduler = await open_on(engine, clock)
        refused = asyncio.ensure_future(logon_and_read_until_closed(port, seqnum=40))
        await asyncio.wait_for(app.asked.wait(), 5)  # routed: the session is claimed by the held check
        clock.move_to(at("12:00"))
        assert await eventually(lambda: not scheduler.running)  # the reset began and waits for the claim
        app.release.set()
        assert await asyncio.wait_for(refused, 10) == b""  # the gate closed meanwhile: no answer
        assert await eventually(lambda: scheduler.running)
        assert await numbers(runner) == ((1, 1), (1, 1))
        assert await runner.store.get_outbound(runner.key, 1, 0) == []
        await engine.disconnect()

    run_bounded(scenario())


async def acceptor_with_noon_reset_at_9_and_7() -> tuple[FixEngine, Any]:
    """An acceptor engine (not open) with a 12:00 reset entry, its session's numbers at 9 out and 7 in."""
    config = scheduled(acceptor_config(free_port(), ["CLIENT"]), [{"time": "12:00", "action": "reset"}])
    engine = await FixEngine.create(config, Application())
    await engine.initialize()
    await engine.set_sequence_numbers(outgoing_seqnum=9, incoming_seqnum=7)
    return engine, engine.runner()


def test_a_reset_waits_for_a_connection_being_routed_to_the_session(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        clock = SteppedClock(at("10:00"))
        engine, runner = await acceptor_with_noon_reset_at_9_and_7()
        await open_on(engine, clock)
        assert runner.claim()  # a Logon being routed (the application's check still running)
        clock.move_to(at("12:00"))
        await asyncio.sleep(0.2)
        assert runner.session.next_sender_seqnum == 9  # the reset waits for the routed connection
        runner.release()  # it went away before it was bound
        assert await eventually(lambda: runner.session.next_sender_seqnum == 1)
        assert await numbers(runner) == ((1, 1), (1, 1))
        await engine.disconnect()

    with caplog.at_level(logging.INFO, logger="pyfixmsg_plus.engine"):
        run_bounded(scenario())
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_reset_retries_once_when_a_connection_claimed_the_session_meanwhile() -> None:
    async def scenario() -> None:
        clock = SteppedClock(at("10:00"))
        engine, runner = await acceptor_with_noon_reset_at_9_and_7()
        original = runner.reset_while_disconnected
        attempts: list[bool] = []

        async def claimed_on_first_attempt() -> None:
            attempts.append(True)
            if len(attempts) == 1:  # a connection claims the session between the wait and the reset lock
                assert runner.claim()
                asyncio.get_running_loop().call_later(0.1, runner.release)
            await original()

        runner.reset_while_disconnected = claimed_on_first_attempt
        await open_on(engine, clock)
        clock.move_to(at("12:00"))
        assert await eventually(lambda: len(attempts) == 2 and runner.session.next_sender_seqnum == 1)
        assert await numbers(runner) == ((1, 1), (1, 1))
        await engine.disconnect()

    run_bounded(scenario())


# ---------------------------------------------------------------------------------------------------- missed reset
@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_a_reset_missed_while_the_engine_was_down_is_performed_at_start_up(backend: str, tmp_path: Path) -> None:
    async def scenario() -> None:
        store = tmp_path / "acceptor.db" if backend == "sqlite" else None
        config = scheduled(acceptor_config(free_port(), ["CLIENT"], store=store), DAILY_RESET)
        engine = await FixEngine.create(config, Application())
        await engine.initialize()  # the store is created now: "yesterday" for the clock below
        await engine.set_sequence_numbers(outgoing_seqnum=40, incoming_seqnum=30)
        await open_on(engine, SteppedClock(just_after_next_midnight()))  # down over the 00:00 reset
        runner = engine.runner()
        assert await eventually(lambda: runner.session.next_sender_seqnum == 1)
        assert await numbers(runner) == ((1, 1), (1, 1))
        assert engine.scheduler is not None and engine.scheduler.running
        await engine.disconnect()

    run_bounded(scenario())


def test_a_sqlite_store_of_an_earlier_run_is_reset_when_the_engine_restarts_after_the_reset(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = tmp_path / "acceptor.db"
        first = await FixEngine.create(acceptor_config(free_port(), ["CLIENT"], store=store), Application())
        await first.initialize()
        await first.set_sequence_numbers(outgoing_seqnum=40, incoming_seqnum=30)
        await first.disconnect()  # the engine goes down before 00:00
        config = scheduled(acceptor_config(free_port(), ["CLIENT"], store=store), DAILY_RESET)
        second = await FixEngine.create(config, Application())
        await second.initialize()
        assert await numbers(second.runner()) == ((40, 30), (40, 30))  # recovered from the file
        await open_on(second, SteppedClock(just_after_next_midnight()))  # and restarts at 00:05
        assert await eventually(lambda: second.session.next_sender_seqnum == 1)
        assert await numbers(second.runner()) == ((1, 1), (1, 1))
        await second.disconnect()

    run_bounded(scenario())


def test_a_store_created_after_the_latest_reset_keeps_its_numbers() -> None:
    async def scenario() -> None:
        config = scheduled(acceptor_config(free_port(), ["CLIENT"]), DAILY_RESET)
        engine = await FixEngine.create(config, Application())
        await engine.initialize()
        await engine.set_sequence_numbers(outgoing_seqnum=40, incoming_seqnum=30)
        # the clock's latest 00:00 reset lies before the store's creation (the real time now)
        await open_on(engine, SteppedClock(time.time() + 60))
        await asyncio.sleep(0.3)
        assert await numbers(engine.runner()) == ((40, 30), (40, 30))
        await engine.disconnect()

    run_bounded(scenario())


def test_an_initiator_started_before_a_missed_reset_is_caught_up_logs_on_again_from_msgseqnum_1() -> None:
    async def scenario() -> None:
        port = free_port()
        acceptor = await FixEngine.create(acceptor_config(port, ["CLIENT"], ResetOnLogon="Y"), Application())
        await acceptor.open()
        schedules = [{"time": "00:00", "action": "reset_start"}]
        engine = await FixEngine.create(
            scheduled(initiator_config(port, "CLIENT", LogoutTimeout=0.5), schedules), Application()
        )
        await engine.initialize()
        await engine.set_sequence_numbers(outgoing_seqnum=40)
        await open_on(engine, SteppedClock(just_after_next_midnight()))
        runner = engine.runner()
        assert await eventually(lambda: runner.state is SessionState.ACTIVE and runner.session.next_sender_seqnum <= 3)
        frames = await runner.store.get_outbound(runner.key, 1, 0)
        assert [(m.msg_type, m.seq_num) for m in frames][:1] == [("A", 1)]
        session, store = await numbers(runner)
        assert session == store
        await engine.disconnect()
        await acceptor.disconnect()

    run_bounded(scenario())
