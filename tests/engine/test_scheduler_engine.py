"""``[Scheduler] schedules`` over loopback: the engine's scheduler task runs on a stepped clock the test moves
(sessions keep real time), so a day of schedule passes in a few hundred milliseconds; every test is bounded."""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from engine_kit import Executor, acceptor_config, eventually, free_port, initiator_config, run_bounded
from test_engine_schedule import counting_server, logon_and_read_until_closed, logon_frame

from pyfixmsg_plus.application import Application
from pyfixmsg_plus.config import ConfigManager
from pyfixmsg_plus.engine import FixEngine
from pyfixmsg_plus.engine.scheduler import SCHEDULE_RESET, SCHEDULE_STOPPED, EngineScheduler
from pyfixmsg_plus.session import SessionState

#: midnight UTC of the stepped clock's first day
MIDNIGHT = datetime.datetime(2026, 3, 2, tzinfo=datetime.UTC).timestamp()
OFFICE_HOURS = [{"time": "08:00", "action": "start"}, {"time": "17:00", "action": "stop"}]


def at(hhmm: str, day: int = 0) -> float:
    """Epoch seconds of ``hhmm`` (UTC) on the stepped clock's first day plus ``day`` days."""
    hour, minute = (int(p) for p in hhmm.split(":"))
    return MIDNIGHT + day * 86400 + hour * 3600 + minute * 60


class SteppedClock:
    """A wall clock that only moves when the test moves it; ``sleep`` waits until it has moved far enough."""

    def __init__(self, now: float) -> None:
        self.now = now
        self._moved = asyncio.Event()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        target = self.now + seconds
        while self.now < target:
            self._moved.clear()
            await self._moved.wait()

    def move_to(self, when: float) -> None:
        self.now = when
        self._moved.set()


def scheduled(config: ConfigManager, schedules: list[dict[str, str]]) -> ConfigManager:
    """``config`` with ``[Scheduler] schedules`` set."""
    config.set("Scheduler", "schedules", json.dumps(schedules))
    return config


async def open_on(engine: FixEngine, clock: SteppedClock) -> EngineScheduler:
    """Drive ``engine``'s scheduler with ``clock`` and open the engine."""
    assert engine.scheduler is not None
    engine.scheduler.clock, engine.scheduler.sleep = clock, clock.sleep
    await engine.open()
    return engine.scheduler


async def sent_frames(engine: FixEngine) -> list[bytes]:
    """Every outbound frame in the primary session's store, in MsgSeqNum(34) order."""
    runner = engine.runner()
    await runner.flush()
    return [m.data for m in await runner.store.get_outbound(runner.key, 1, 0)]


def field(frame: bytes, tag: int) -> str | None:
    """The value of ``tag`` in a FIX frame (first occurrence), None when absent."""
    for pair in frame.split(b"\x01"):
        name, _, value = pair.partition(b"=")
        if name == str(tag).encode():
            return value.decode()
    return None


def test_stop_logs_out_the_initiator_which_does_not_reconnect_until_start() -> None:
    async def scenario() -> None:
        port = free_port()
        acceptor_app = Executor()
        acceptor = await FixEngine.create(acceptor_config(port, ["CLIENT"]), acceptor_app)
        acceptor_app.engine = acceptor
        await acceptor.open()
        clock = SteppedClock(at("12:00"))
        engine = await FixEngine.create(
            scheduled(initiator_config(port, "CLIENT", LogoutTimeout=0.5), OFFICE_HOURS), Application()
        )
        scheduler = await open_on(engine, clock)
        assert scheduler.running
        assert await engine.wait_logged_on(10) and await acceptor.wait_logged_on(5)

        clock.move_to(at("17:00"))
        assert await engine.wait_disconnected(10)
        assert await eventually(lambda: engine.initiators == {})
        await asyncio.sleep(0.5)  # several ReconnectIntervals (0.1 s): a reconnecting initiator would log on
        assert len(acceptor_app.logons) == 1
        assert acceptor.runner().state is not SessionState.ACTIVE
        logout = (await sent_frames(engine))[-1]
        assert field(logout, 35) == "5" and field(logout, 58) == SCHEDULE_STOPPED
        assert not scheduler.running

        clock.move_to(at("08:00", day=1))
        assert await engine.wait_logged_on(10)
        assert len(acceptor_app.logons) == 2
        await engine.disconnect()
        await acceptor.disconnect()

    run_bounded(scenario())


def test_an_initiator_does_not_connect_when_the_engine_starts_in_a_stopped_period() -> None:
    async def scenario() -> None:
        server, port, connections = await counting_server()
        engine = await FixEngine.create(scheduled(initiator_config(port, "CLIENT"), OFFICE_HOURS), Application())
        scheduler = await open_on(engine, SteppedClock(at("20:00")))
        await asyncio.sleep(0.5)  # several reconnect intervals: an unscheduled initiator would connect
        assert not scheduler.running
        assert engine.initiators == {} and connections == []
        await engine.disconnect()
        server.close()
        await server.wait_closed()

    run_bounded(scenario())


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_reset_logs_out_and_the_next_logon_has_msgseqnum_1(backend: str, tmp_path: Path) -> None:
    async def scenario() -> None:
        port = free_port()
        # ResetOnLogon: the acceptor takes a Logon with MsgSeqNum 1 after a higher number (it does not reset itself)
        acceptor = await FixEngine.create(acceptor_config(port, ["CLIENT"], ResetOnLogon="Y"), Application())
        await acceptor.open()
        clock = SteppedClock(at("10:00"))
        schedules = [*OFFICE_HOURS, {"time": "12:00", "action": "reset"}]
        store = tmp_path / "initiator.db" if backend == "sqlite" else None
        engine = await FixEngine.create(
            scheduled(initiator_config(port, "CLIENT", store=store, LogoutTimeout=0.5), schedules), Application()
        )
        await engine.initialize()
        await engine.set_sequence_numbers(outgoing_seqnum=40)
        await open_on(engine, clock)
        assert await engine.wait_logged_on(10)
        before = await sent_frames(engine)
        assert [(field(f, 35), field(f, 34)) for f in before] == [("A", "40")]
        logouts: list[str] = []
        original_logout = engine.session.logout

        def recording_logout(now: float, text: str = "") -> Any:
            logouts.append(text)
            return original_logout(now, text)

        engine.session.logout = recording_logout  # type: ignore[method-assign]

        clock.move_to(at("12:00"))
        assert await engine.wait_disconnected(10)
        assert await engine.wait_logged_on(10)  # running before the reset: running after it
        assert logouts == [SCHEDULE_RESET]
        after = await sent_frames(engine)
        assert [(field(f, 35), field(f, 34)) for f in after][:1] == [("A", "1")]
        assert await eventually(lambda: acceptor.session.next_target_seqnum == 2)  # it received Logon 1
        runner = engine.runner()
        assert await runner.store.next_sender_seqnum(runner.key) == engine.session.next_sender_seqnum
        await engine.disconnect()
        await acceptor.disconnect()

    run_bounded(scenario())


async def logon_and_read_logon_answer(port: int) -> bytes:
    """Connect as CLIENT, send a Logon and return what the acceptor wrote up to its Logon answer (bounded)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(logon_frame())
    received = b""
    try:
        while b"\x0135=A\x01" not in received:
            chunk = await asyncio.wait_for(reader.read(4096), 10)
            if not chunk:
                break
            received += chunk
        return received
    finally:
        writer.close()


def test_an_acceptor_refuses_logons_while_stopped_and_accepts_after_start(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        port = free_port()
        guard = Executor()
        acceptor = await FixEngine.create(scheduled(acceptor_config(port, ["CLIENT"]), OFFICE_HOURS), guard)
        clock = SteppedClock(at("06:00"))
        scheduler = await open_on(acceptor, clock)
        # as QuickFIX outside session time: the connection is closed, no Logout(35=5) takes a MsgSeqNum(34)
        assert await logon_and_read_until_closed(port) == b""
        assert guard.logons == []

        clock.move_to(at("08:00"))
        assert await eventually(lambda: scheduler.running)
        accepted = await logon_and_read_logon_answer(port)
        assert b"\x0135=A\x01" in accepted and field(accepted, 34) == "1"
        assert await eventually(lambda: len(guard.logons) == 1)
        await acceptor.disconnect()

    with caplog.at_level(logging.WARNING, logger="pyfixmsg_plus.engine"):
        run_bounded(scenario())
    refusals = [r.getMessage() for r in caplog.records if "refused connection" in r.getMessage()]
    assert len(refusals) == 1
    # the log line names the session, the reason and when it takes Logons again (the 08:00 start entry)
    assert "FIX.4.4:EXEC->CLIENT" in refusals[0] and "[Scheduler]" in refusals[0]
    assert "2026-03-02 08:00:00 UTC" in refusals[0]


def test_stop_logs_out_a_session_logged_on_to_an_acceptor() -> None:
    async def scenario() -> None:
        port = free_port()
        acceptor = await FixEngine.create(
            scheduled(acceptor_config(port, ["CLIENT"], LogoutTimeout=0.5), OFFICE_HOURS), Executor()
        )
        clock = SteppedClock(at("16:00"))
        await open_on(acceptor, clock)
        session = asyncio.ensure_future(logon_and_read_until_closed(port))
        assert await acceptor.wait_logged_on(10)
        clock.move_to(at("17:00"))
        # the raw client never answers the Logout: the acceptor closes after LogoutTimeout
        answer = await session
        assert answer.index(b"\x0135=A\x01") < answer.index(b"\x0135=5\x01")
        assert f"\x0158={SCHEDULE_STOPPED}\x01".encode() in answer
        await acceptor.disconnect()

    run_bounded(scenario())


def test_reset_start_while_stopped_starts_the_initiator_from_msgseqnum_1() -> None:
    async def scenario() -> None:
        port = free_port()
        acceptor = await FixEngine.create(acceptor_config(port, ["CLIENT"], ResetOnLogon="Y"), Application())
        await acceptor.open()
        schedules = [*OFFICE_HOURS, {"time": "18:00", "action": "reset_start"}]
        engine = await FixEngine.create(scheduled(initiator_config(port, "CLIENT"), schedules), Application())
        await engine.initialize()
        await engine.set_sequence_numbers(outgoing_seqnum=30)
        clock = SteppedClock(at("17:30"))
        scheduler = await open_on(engine, clock)
        assert not scheduler.running and engine.initiators == {}
        clock.move_to(at("18:00"))
        assert await engine.wait_logged_on(10)
        assert scheduler.running
        assert [(field(f, 35), field(f, 34)) for f in await sent_frames(engine)] == [("A", "1")]
        await engine.disconnect()
        await acceptor.disconnect()

    run_bounded(scenario())


def test_reset_while_stopped_resets_the_store_and_stays_stopped() -> None:
    async def scenario() -> None:
        engine = await FixEngine.create(
            scheduled(acceptor_config(free_port(), ["CLIENT"]), [*OFFICE_HOURS, {"time": "20:00", "action": "reset"}]),
            Application(),
        )
        await engine.initialize()
        await engine.set_sequence_numbers(incoming_seqnum=7, outgoing_seqnum=9)
        clock = SteppedClock(at("18:00"))
        scheduler = await open_on(engine, clock)
        clock.move_to(at("20:00"))
        assert await eventually(lambda: engine.session.next_sender_seqnum == 1)
        assert await engine.message_store.get_next_outgoing_sequence_number() == 1
        assert await engine.message_store.get_next_incoming_sequence_number() == 1
        assert not scheduler.running
        await engine.disconnect()

    run_bounded(scenario())


def test_a_failed_action_is_logged_with_the_session_and_the_schedule_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> None:
        schedules = [{"time": "12:00", "action": "reset_start"}, {"time": "13:00", "action": "stop"}]
        engine = await FixEngine.create(
            scheduled(acceptor_config(free_port(), ["CLIENT"]), schedules), Application()
        )

        async def broken_store() -> None:
            raise RuntimeError("store unavailable")

        engine.runner().reset_while_disconnected = broken_store  # type: ignore[method-assign]
        clock = SteppedClock(at("11:00"))
        scheduler = await open_on(engine, clock)
        assert not scheduler.running  # the last reset_start and stop: the stop at 13:00 the day before
        clock.move_to(at("12:00"))
        assert await eventually(lambda: scheduler.running)  # reset failed, the start still happened
        clock.move_to(at("13:00"))
        assert await eventually(lambda: not scheduler.running)
        await engine.disconnect()

    with caplog.at_level(logging.INFO, logger="pyfixmsg_plus.engine"):
        run_bounded(scenario())
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("reset_start failed for session FIX.4.4:EXEC->CLIENT" in e and "store unavailable" in e
               for e in errors)
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert any("[Scheduler] reset_start: performing" in m for m in infos)
    assert any("[Scheduler] stop: performing" in m for m in infos)


def test_no_scheduler_without_schedules() -> None:
    engine = FixEngine(acceptor_config(free_port(), ["CLIENT"]), Application())
    assert engine.scheduler is None
