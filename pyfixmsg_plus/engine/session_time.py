"""Session time of an engine's sessions: QuickFIX's StartTime/EndTime per session, and the task of the
``[Scheduler]`` (engine/scheduler.py), kept by the engine for its life.

:class:`SessionTimeKeeper` is a part of :class:`~pyfixmsg_plus.engine.FixEngine`: each session with a session time
gets a task that waits for its period, resets a store of an earlier period, starts the initiator, and at EndTime
sends Logout and disconnects (:meth:`SessionTimeKeeper._end_session_time`, which the scheduler's ``stop`` uses too).

:func:`sleep_until` and :func:`utc_text` serve both kinds of schedule task.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from pyfixmsg_plus.config import SessionSettings
from pyfixmsg_plus.session.schedule import SessionSchedule
from pyfixmsg_plus.session.states import CONNECTED_STATES

if TYPE_CHECKING:
    from pyfixmsg_plus.engine.scheduler import EngineScheduler
    from pyfixmsg_plus.engine.session_runner import SessionRunner
    from pyfixmsg_plus.session import SessionID
    from pyfixmsg_plus.transport import Initiator

log = logging.getLogger("pyfixmsg_plus.engine")

#: Text(58) of the Logout sent when EndTime is reached
SESSION_TIME_ENDED = "Session time ended"
#: why a Logon outside StartTime..EndTime is refused (QuickFIX's log line); it is closed without an answer
OUTSIDE_SESSION_TIME = "Received Logon outside of valid session time"
#: seconds between attempts when keeping session time failed (a store error, say)
SCHEDULE_RETRY_SECONDS = 5.0
#: longest single nap of a schedule task (seconds): a wall-clock step or a suspended machine is noticed within it
MAX_SCHEDULE_SLEEP = 60.0
#: shortest nap of a schedule task (seconds): a wake-up a hair before the change must not spin
MIN_SCHEDULE_SLEEP = 0.01
#: LogoutTimeout (seconds) of a session that sets none (the configuration's default)
DEFAULT_LOGOUT_TIMEOUT = 2.0


class SessionTimeKeeper:
    """The engine's session-time tasks (mixed into :class:`~pyfixmsg_plus.engine.FixEngine`)."""

    # what the engine provides
    settings: list[SessionSettings]
    runners: dict[SessionID, SessionRunner]
    initiators: dict[SessionID, Initiator]
    scheduler: EngineScheduler | None
    _schedule_tasks: list[asyncio.Task[None]]

    if TYPE_CHECKING:

        def _start_initiator(self, settings: SessionSettings, runner: SessionRunner) -> None: ...

    def _start_schedules(self) -> None:
        loop = asyncio.get_running_loop()
        for settings, runner in zip(self.settings, self.runners.values(), strict=True):
            if not runner.schedule.always:
                self._schedule_tasks.append(loop.create_task(self._keep_session_time(settings, runner)))
        if self.scheduler is not None:
            self._schedule_tasks.append(loop.create_task(self.scheduler.run()))

    async def _keep_session_time(self, settings: SessionSettings, runner: SessionRunner) -> None:
        """One session's StartTime/EndTime (QuickFIX's session time), for the engine's life. A failure (a store
        error, say) is logged and the enforcement goes on: session time must never stop being kept silently."""
        while True:
            try:
                await self._keep_one_period(settings, runner)
            except Exception:
                log.exception("session %s: keeping session time failed; retrying in %g s", runner.session_id,
                              SCHEDULE_RETRY_SECONDS)
                await asyncio.sleep(SCHEDULE_RETRY_SECONDS)

    async def _keep_one_period(self, settings: SessionSettings, runner: SessionRunner) -> None:
        """Wait for the next period if outside one; at its start reset a store of an earlier period and start the
        initiator; at its end Logout and disconnect."""
        schedule = runner.schedule
        now = runner.clock()
        period = schedule.period_of(now)
        if period is None:
            log.info("session %s: outside session time; next start at %s", runner.session_id,
                     utc_text(schedule.next_change(now)))
            await sleep_until(runner.clock, schedule.next_change(now))
            return
        await runner.start_new_period_if_due()
        if settings.is_initiator:
            self._start_initiator(settings, runner)
        while schedule.period_of(runner.clock()) == period:
            await sleep_until(runner.clock, period.end)
        log.info("session %s: session time ended", runner.session_id)
        await self._end_session_time(settings, runner)

    async def _end_session_time(
        self, settings: SessionSettings, runner: SessionRunner, text: str = SESSION_TIME_ENDED
    ) -> None:
        """EndTime (or a [Scheduler] stop) reached: Logout(35=5) with Text(58) ``text`` an active session, wait
        LogoutTimeout for the answer, then close the connection and stop the initiator until the next start."""
        initiator = self.initiators.get(runner.session_id)
        if initiator is not None:
            initiator.reconnect = False  # the Logout below closes the connection: none until the next start
        if runner.state in CONNECTED_STATES:
            waiter = runner.send_outputs(runner.session.logout(runner.clock(), text))
            if waiter is not None:
                try:
                    await waiter
                except Exception as exc:  # the connection went first: the close below still happens
                    log.warning("session %s: Logout at session end not sent: %s", runner.session_id, exc)
            answered = await runner.wait_for(lambda s: s not in CONNECTED_STATES, logout_wait(settings))
            if not answered and runner.conn is not None:
                runner.conn.close()
        if initiator is not None:
            del self.initiators[runner.session_id]
            await stop_initiator_to_the_end(runner.session_id, initiator, logout_wait(settings))
            runner.stop_session()  # Disconnected until the next start, not Reconnecting

    async def _stop_schedules(self) -> None:
        tasks, self._schedule_tasks = self._schedule_tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def outside_session_time(schedule: SessionSchedule, now: float) -> str | None:
    """Why a Logon received at ``now`` (epoch seconds) is refused: outside StartTime..EndTime (QuickFIX: "Received
    logon outside of valid session time", and the connection closed without an answer), naming when session time
    starts again. None in session time, and always for a session without StartTime/EndTime."""
    if schedule.is_in_session(now):
        return None
    return (f"{OUTSIDE_SESSION_TIME} ({schedule!r}); session time starts again at "
            f"{utc_text(schedule.next_change(now))}")


def logout_wait(settings: SessionSettings) -> float:
    """How long (seconds) the end of session time waits for a Logout answer, and for the initiator's stop after
    the engine's disconnect cancelled it: LogoutTimeout plus one second for the connection to close."""
    return (settings.logout_timeout or DEFAULT_LOGOUT_TIMEOUT) + 1.0


async def stop_initiator_to_the_end(session_id: SessionID, initiator: Initiator, bound: float) -> None:
    """Stop ``initiator`` gracefully, even when the caller is cancelled meanwhile.

    The engine's disconnect cancels the session-time task: the stop is shielded from that cancel, and the
    cancelled caller still waits for it (up to ``bound`` seconds) before the cancel goes on, so ``disconnect()``
    does not return while the initiator is stopping and an error of the stop is logged, never left unretrieved.
    """
    stop = asyncio.ensure_future(initiator.stop(graceful=True))
    try:
        await asyncio.shield(stop)
    except asyncio.CancelledError:
        if not stop.done():  # the caller was cancelled, not the stop
            await _wait_for_abandoned_stop(session_id, stop, bound)
        raise


async def _wait_for_abandoned_stop(session_id: SessionID, stop: asyncio.Future[None], bound: float) -> None:
    """Wait up to ``bound`` seconds for the initiator ``stop`` its cancelled caller left; its outcome is logged."""
    await asyncio.wait({stop}, timeout=bound)
    if stop.done():
        _log_stop_failure(session_id, stop)
        return
    log.warning("session %s: the initiator did not stop within %g s of the engine's disconnect; it goes on "
                "stopping in the background", session_id, bound)
    stop.add_done_callback(lambda done: _log_stop_failure(session_id, done))


def _log_stop_failure(session_id: SessionID, stop: asyncio.Future[None]) -> None:
    """Log the error of a finished initiator ``stop`` (retrieving it, so asyncio does not report it unseen)."""
    error = None if stop.cancelled() else stop.exception()
    if error is not None:
        log.warning("session %s: stopping the initiator at the end of session time failed: %s", session_id, error,
                    exc_info=error)


async def sleep_until(
    clock: Callable[[], float], when: float, sleep: Callable[[float], Awaitable[object]] = asyncio.sleep
) -> None:
    """Sleep until ``clock()`` (epoch seconds) reaches ``when`` (epoch seconds); return at once when it has.

    ``sleep`` waits a number of seconds. The wait is cut into naps of MIN_SCHEDULE_SLEEP to MAX_SCHEDULE_SLEEP
    seconds, the clock read again after each: a wall-clock step (NTP, an operator, a suspended machine) moves the
    wake-up within MAX_SCHEDULE_SLEEP, where one long sleep would keep the time the step made wrong."""
    while (left := when - clock()) > 0:
        await sleep(min(MAX_SCHEDULE_SLEEP, max(MIN_SCHEDULE_SLEEP, left)))


def utc_text(when: float) -> str:
    """``when`` (epoch seconds) as ``YYYY-MM-DD HH:MM:SS UTC``, for log lines."""
    return datetime.datetime.fromtimestamp(when, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
