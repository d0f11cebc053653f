"""Session time of an engine's sessions: QuickFIX's StartTime/EndTime per session, and the task of the
``[Scheduler]`` (engine/scheduler.py), kept by the engine for its life.

:class:`SessionTimeKeeper` is a part of :class:`~pyfixmsg_plus.engine.FixEngine`: each session with a session time
gets a task that waits for its period, resets a store of an earlier period, starts the initiator, and at EndTime
sends Logout and disconnects (:meth:`SessionTimeKeeper._end_session_time`, which the scheduler's ``stop`` uses too).
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from pyfixmsg_plus.config import SessionSettings
from pyfixmsg_plus.session.states import CONNECTED_STATES

if TYPE_CHECKING:
    from pyfixmsg_plus.engine.scheduler import EngineScheduler
    from pyfixmsg_plus.engine.session_runner import SessionRunner
    from pyfixmsg_plus.session import SessionID
    from pyfixmsg_plus.transport import Initiator

log = logging.getLogger("pyfixmsg_plus.engine")

#: Text(58) of the Logout sent when EndTime is reached
SESSION_TIME_ENDED = "Session time ended"
#: seconds between attempts when keeping session time failed (a store error, say)
SCHEDULE_RETRY_SECONDS = 5.0
#: shortest sleep of a schedule task (seconds): a wake-up a hair before the change must not spin
_MIN_SCHEDULE_SLEEP = 0.01


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
                     _utc_text(schedule.next_change(now)))
            await _sleep_until(runner.clock, schedule.next_change(now))
            return
        await runner.start_new_period_if_due()
        if settings.is_initiator:
            self._start_initiator(settings, runner)
        while schedule.period_of(runner.clock()) == period:
            await _sleep_until(runner.clock, period.end)
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
            answered = await runner.wait_for(lambda s: s not in CONNECTED_STATES, (settings.logout_timeout or 2.0) + 1)
            if not answered and runner.conn is not None:
                runner.conn.close()
        if initiator is not None:
            del self.initiators[runner.session_id]
            # shielded: an engine disconnect cancelling this task must not cut the initiator's stop short
            await asyncio.shield(initiator.stop(graceful=True))
            runner.stop_session()  # Disconnected until the next start, not Reconnecting

    async def _stop_schedules(self) -> None:
        tasks, self._schedule_tasks = self._schedule_tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _sleep_until(clock: Callable[[], float], when: float) -> None:
    """Sleep until ``clock()`` reaches ``when`` (epoch seconds); callers re-check the time afterwards."""
    await asyncio.sleep(max(_MIN_SCHEDULE_SLEEP, when - clock()))


def _utc_text(when: float) -> str:
    return datetime.datetime.fromtimestamp(when, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
