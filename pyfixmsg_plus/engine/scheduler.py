"""The original project's ``[Scheduler] schedules``: daily start / stop / reset actions for every session.

Three parts, from pure to I/O:

* :class:`Timetable` turns the entries into daily occurrences (epoch seconds) and answers "is the engine running
  at t" and "which entries come next after t". No clock, no I/O: tests drive it with any time.
* :class:`SchedulerGate` is the session time of a session under the scheduler: Logons are accepted while the
  scheduler says running; while it says stopped, or while a reset runs, the acceptor closes a connection whose
  Logon names the session before the session sees it (engine/acceptor_router.py): no answer, no MsgSeqNum used.
* :class:`EngineScheduler` is the engine task: it first resets the sessions whose store missed the latest reset
  (the engine was down at its time), then sleeps until the next entry (on the runners' wall clock) and performs
  its action on every session; a failed action is logged with the session and the schedule goes on.

Times of day are wall-clock times in the sessions' ``TimeZone`` (else the machine's local time with
``UseLocalTime = Y``, else UTC), the zone of StartTime/EndTime; the configuration checks require every session
to agree on it, since the schedule applies to all of them.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import time
import zoneinfo
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyfixmsg_plus.config.settings import ScheduleAction, ScheduleEntry, SessionSettings
from pyfixmsg_plus.engine import building
from pyfixmsg_plus.engine.session_runner import SessionNotDisconnected
from pyfixmsg_plus.engine.session_time import sleep_until, utc_text
from pyfixmsg_plus.session.schedule import SessionSchedule
from pyfixmsg_plus.session.states import CONNECTED_STATES

if TYPE_CHECKING:
    from pyfixmsg_plus.engine.engine import FixEngine
    from pyfixmsg_plus.engine.session_runner import SessionRunner

log = logging.getLogger("pyfixmsg_plus.engine")

#: Text(58) of the Logout sent when a ``stop`` entry is reached
SCHEDULE_STOPPED = "Session stopped by schedule"
#: Text(58) of the Logout sent before a ``reset`` entry resets the sequence numbers of a connected session
SCHEDULE_RESET = "Sequence numbers reset by schedule"
#: when the gate opens again while a reset entry runs on sessions the schedule has running (refusals' log lines)
REOPENS_AFTER_RESET = "once the scheduled sequence reset has ended"
#: how long a reset waits for a logged-out session's connection to report its end (seconds)
DISCONNECT_WAIT = 5.0
#: how often a reset waiting for a session to be free looks at its claim (seconds): a routed connection that
#: goes away before it is bound releases the session without a state change to wake the wait
FREE_POLL = 0.05
#: entries missed by more than this (seconds) are not caught up: after a long suspension only the last day runs
MAX_CATCH_UP = 86400.0

_DAY = datetime.timedelta(days=1)
#: actions that decide whether the engine is running; ``reset`` leaves it as it was
_STARTS = frozenset({ScheduleAction.START, ScheduleAction.RESET_START})
_DECIDING = _STARTS | {ScheduleAction.STOP}
#: actions that reset the sequence numbers
_RESETS = frozenset({ScheduleAction.RESET, ScheduleAction.RESET_START})

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[object]]


@dataclass(frozen=True, slots=True, order=True)
class Occurrence:
    """One entry on one day: at ``when`` (epoch seconds) perform ``action``; ``position`` is the entry's index
    in the list, which orders entries of the same minute."""

    when: float
    position: int
    action: ScheduleAction


class Timetable:
    """The schedule entries as daily occurrences in ``zone`` (a tzinfo, an IANA name, ``None`` for the machine's
    local time; UTC by default). Pure: every method takes the time as epoch seconds."""

    def __init__(self, entries: Sequence[ScheduleEntry], zone: datetime.tzinfo | str | None = datetime.UTC) -> None:
        if not entries:
            raise ValueError("[Scheduler] schedules is empty: a timetable needs at least one entry")
        self.entries = tuple(entries)
        self.zone: datetime.tzinfo | None = zoneinfo.ZoneInfo(zone) if isinstance(zone, str) else zone

    def running_at(self, now: float) -> bool:
        """True when the latest start/reset_start at or before ``now`` (epoch seconds, looking back across
        midnight) is later than the latest stop; True when the entries hold no start, stop or reset_start."""
        latest = max((o for o in self._latest_occurrences(now) if o.action in _DECIDING), default=None)
        return latest is None or latest.action in _STARTS

    def last_reset_at_or_before(self, now: float) -> float | None:
        """When (epoch seconds) the latest reset/reset_start at or before ``now`` was due, looking back across
        midnight; None when the entries hold no reset."""
        return max((o.when for o in self._latest_occurrences(now) if o.action in _RESETS), default=None)

    def next_start_after(self, now: float) -> float | None:
        """When (epoch seconds) the first start/reset_start after ``now`` is due; None when the entries hold none."""
        starts = [p for p, entry in enumerate(self.entries) if entry.action in _STARTS]
        return min((self._first_after(position, now).when for position in starts), default=None)

    def next_after(self, now: float) -> list[Occurrence]:
        """The entries due at the first occurrence time after ``now`` (epoch seconds), in list order."""
        upcoming = [self._first_after(position, now) for position in range(len(self.entries))]
        first = min(o.when for o in upcoming)
        return sorted(o for o in upcoming if o.when == first)

    def _latest_occurrences(self, now: float) -> list[Occurrence]:
        """Each entry's last occurrence at or before ``now``."""
        return [self._last_at_or_before(position, now) for position in range(len(self.entries))]

    def _last_at_or_before(self, position: int, now: float) -> Occurrence:
        # days around today: a DST change can move a local time of day across the date line of ``now``
        times = [t for t in self._times(position, now, range(-2, 2)) if t <= now]
        return Occurrence(max(times), position, self.entries[position].action)

    def _first_after(self, position: int, now: float) -> Occurrence:
        times = [t for t in self._times(position, now, range(-1, 3)) if t > now]
        return Occurrence(min(times), position, self.entries[position].action)

    def _times(self, position: int, now: float, days: range) -> list[float]:
        """Epoch seconds of the entry's time of day on the days ``days`` from the local date of ``now``."""
        today = datetime.datetime.fromtimestamp(now, self.zone).date()
        time_of_day = self.entries[position].time.replace(tzinfo=None)
        return [
            datetime.datetime.combine(today + offset * _DAY, time_of_day, tzinfo=self.zone).timestamp()
            for offset in days
        ]

    def __repr__(self) -> str:
        entries = ", ".join(f"{e.time:%H:%M} {e.action.value}" for e in self.entries)
        return f"Timetable({entries} {self.zone})"


class SchedulerGate(SessionSchedule):
    """Session time of a session under ``[Scheduler] schedules``: in session while ``running``.

    It has no StartTime/EndTime (``always`` stays True, so no StartTime/EndTime task and no new-period reset
    apply), but :meth:`is_in_session` follows the scheduler: while it is closed (stopped, or a reset under way)
    the acceptor router refuses a Logon naming the session by closing the connection without an answer
    (:meth:`logon_refusal` says why, for its log line), and the engine starts an initiator only while running.
    One gate is shared by every session of the engine."""

    def __init__(self, running: bool = True) -> None:
        super().__init__()
        self.running = running
        #: when a closed gate opens again, as the refusals' log lines say it ("at the next start, ...")
        self.reopens = "at the next start entry"

    def open(self) -> None:
        """Let Logons in again (a start entry, or the end of a reset of running sessions)."""
        self.running = True

    def close(self, reopens: str) -> None:
        """Refuse Logons until :meth:`open`; ``reopens`` says when that will be, for the refusals' log lines."""
        self.running = False
        self.reopens = reopens

    def is_in_session(self, now: float) -> bool:
        """True while the scheduler has the engine running (``now`` is not needed: the task sets ``running``)."""
        return self.running

    def logon_refusal(self) -> str | None:
        """Why a Logon received now is refused and when Logons are accepted again; None while running."""
        if self.running:
            return None
        return f"closed by [Scheduler] schedules; Logons are accepted again {self.reopens}"

    def __repr__(self) -> str:
        return f"[Scheduler] schedules ({'running' if self.running else 'stopped'})"


def scheduler_zone(settings: SessionSettings) -> datetime.tzinfo | None:
    """The zone of the schedule's times: the session's TimeZone, else local time with UseLocalTime = Y, else UTC
    (the rule of StartTime/EndTime, taken from the session schedule the engine builds)."""
    return building.build_schedule(settings).zone


class EngineScheduler:
    """Enforces ``[Scheduler] schedules`` on every session of ``engine``.

    ``clock`` gives wall time in epoch seconds (the runners' clock by default) and ``sleep`` waits a number of
    those seconds; tests replace both to drive the schedule. :meth:`run` is the engine's task."""

    def __init__(self, engine: FixEngine, timetable: Timetable, clock: Clock = time.time,
                 sleep: Sleep = asyncio.sleep) -> None:
        self.engine = engine
        self.timetable = timetable
        self.clock = clock
        self.sleep = sleep
        self.gate = SchedulerGate(running=True)
        self._applied_at: float | None = None  # when apply_state_now() read the timetable (epoch seconds)
        self._caught_up = False  # catch_up_missed_reset ran (open() runs it before the sessions start)

    @classmethod
    def for_engine(cls, engine: FixEngine) -> EngineScheduler | None:
        """The scheduler of ``engine``'s configuration, None without schedules; gates every session."""
        entries = engine.config.engine_settings().schedules
        if not entries:
            return None
        primary = next(iter(engine.runners.values()))
        scheduler = cls(engine, Timetable(entries, scheduler_zone(engine.settings[0])), clock=primary.clock)
        for runner in engine.runners.values():
            if runner.schedule.always:  # StartTime/EndTime with schedules is a config error; never override one
                runner.schedule = scheduler.gate
        return scheduler

    @property
    def running(self) -> bool:
        """True while the schedule has the engine's sessions running."""
        return self.gate.running

    def apply_state_now(self) -> None:
        """Set running/stopped from the timetable at the current time (before the engine starts connecting)."""
        now = self._applied_at = self.clock()
        if self.timetable.running_at(now):
            self.gate.open()
        else:
            self.gate.close(self._reopening(resume=False))
        log.info("[Scheduler] %s at start-up (%s)", "running" if self.running else "stopped", self.timetable)

    # ------------------------------------------------------------------ the task
    async def run(self) -> None:
        """Reset the sessions that missed the latest reset, then perform every entry after the state was applied,
        each at its time, for the engine's life (cancel the task to stop)."""
        cursor = self._applied_at if self._applied_at is not None else self.clock()
        if not self._caught_up:  # the engine's open() runs it before starting the sessions
            await self.catch_up_or_log()
        while True:
            cursor = max(cursor, self.clock() - MAX_CATCH_UP)
            due = self.timetable.next_after(cursor)
            await sleep_until(self.clock, due[0].when, self.sleep)
            for occurrence in due:
                await self.perform(occurrence.action)
            cursor = due[0].when

    def _reopening(self, resume: bool) -> str:
        """When a gate closed now opens again: once the reset under way has ended when ``resume`` (the sessions
        run on after it), else at the next start/reset_start entry."""
        if resume:
            return REOPENS_AFTER_RESET
        when = self.timetable.next_start_after(self.clock())
        if when is None:
            return "never: the schedule has no start or reset_start entry (restart the engine)"
        return f"at the next start, {utc_text(when)}"

    async def catch_up_or_log(self) -> None:
        """:meth:`catch_up_missed_reset`, a failure logged: the schedule must go on (the next reset entry retries)."""
        try:
            await self.catch_up_missed_reset()
        except Exception:
            log.exception("[Scheduler] the start-up check for a missed reset failed")

    async def catch_up_missed_reset(self) -> None:
        """Reset (as the ``reset`` entry does) every session whose store was created before the latest
        reset/reset_start due at or before now: the engine was down at its time, and the old numbers must not
        carry on (QuickFIX resets a store created in an earlier period at StartTime the same way). The running
        state is not changed: :meth:`apply_state_now` already read it from the timetable."""
        self._caught_up = True
        due_at = self.timetable.last_reset_at_or_before(self.clock())
        if due_at is None:
            return
        pairs = [pair for pair in self._pairs() if await self._created_before(pair[1], due_at)]
        if not pairs:
            return
        log.info("[Scheduler] reset due at %s was missed by %d session(s): resetting them now",
                 utc_text(due_at), len(pairs))
        resume = self.running
        self.gate.close(self._reopening(resume))  # as a reset entry: no Logon between the Logout and the reset
        try:
            await self._each(ScheduleAction.RESET, pairs, self._reset_one)
        finally:
            if resume:
                self.gate.open()
            else:
                self.gate.close(self._reopening(resume=False))
        if resume:  # an initiator logged out for the reset connects again
            await self._each(ScheduleAction.START, pairs, self._start_one)

    async def _created_before(self, runner: SessionRunner, when: float) -> bool:
        """True when ``runner``'s store (its numbers) was created or last reset before ``when`` (epoch seconds);
        a store that cannot tell is logged and left alone."""
        try:
            created = await runner.store.creation_time(runner.key)
        except Exception as exc:
            log.error("[Scheduler] session %s: store creation time unavailable, missed-reset check skipped: %s",
                      runner.session_id, exc, exc_info=exc)
            return False
        return created < when

    def _pairs(self) -> list[tuple[SessionSettings, SessionRunner]]:
        return list(zip(self.engine.settings, self.engine.runners.values(), strict=True))

    async def perform(self, action: ScheduleAction) -> None:
        """Perform ``action`` on every session at once; each session's failure is logged, the others go on."""
        log.info("[Scheduler] %s: performing on %d session(s)", action.value, len(self.engine.runners))
        pairs = self._pairs()
        if action is ScheduleAction.STOP:
            self.gate.close(self._reopening(resume=False))  # first: a Logon arriving during the Logouts is refused
            await self._each(action, pairs, self._stop_one)
            return
        if action is not ScheduleAction.START:  # reset, reset_start
            resume = self.running or action is ScheduleAction.RESET_START
            # no Logon between the Logout and the reset: one arriving meanwhile is refused by the acceptor without
            # an answer, so no Logout(35=5) takes a MsgSeqNum(34) the reset would have to wipe
            self.gate.close(self._reopening(resume))
            await self._each(action, pairs, self._reset_one)
            if not resume:
                return
        self.gate.open()
        await self._each(action, pairs, self._start_one)

    async def _each(
        self,
        action: ScheduleAction,
        pairs: list[tuple[SessionSettings, SessionRunner]],
        step: Callable[[SessionSettings, SessionRunner], Awaitable[None]],
    ) -> None:
        results = await asyncio.gather(*(step(settings, runner) for settings, runner in pairs),
                                       return_exceptions=True)
        for (_, runner), result in zip(pairs, results, strict=True):
            if isinstance(result, BaseException):
                if isinstance(result, asyncio.CancelledError):
                    raise result
                log.error("[Scheduler] %s failed for session %s: %s", action.value, runner.session_id, result,
                          exc_info=result)

    async def _start_one(self, settings: SessionSettings, runner: SessionRunner) -> None:
        # an acceptor session needs nothing more: the open gate lets its counterparty's Logon in
        if settings.is_initiator:
            self.engine._start_initiator(settings, runner)

    async def _stop_one(self, settings: SessionSettings, runner: SessionRunner) -> None:
        # as at EndTime: Logout(35=5), LogoutTimeout for the answer, close, no reconnect until the next start
        await self.engine._end_session_time(settings, runner, SCHEDULE_STOPPED)

    async def _reset_one(self, settings: SessionSettings, runner: SessionRunner) -> None:
        """Log the session out (Logout(35=5) with Text(58) SCHEDULE_RESET), wait until no connection uses it,
        then both numbers to 1 in the session and the store. Once more when a connection was routed to it
        meanwhile (the gate refuses its Logon, which then ends): never the old numbers after a reset entry."""
        for attempt in (1, 2):
            await self._free_for_reset(settings, runner)
            try:
                # the engine's reset path for a disconnected session (never the while-Active Logon with
                # ResetSeqNumFlag(141)=Y: the schedule logs the session out first)
                await runner.reset_while_disconnected()
                return
            except SessionNotDisconnected as exc:
                if attempt == 2:
                    raise
                log.info("[Scheduler] reset of session %s waits for a connection routed to it: %s",
                         runner.session_id, exc)

    async def _free_for_reset(self, settings: SessionSettings, runner: SessionRunner) -> None:
        """Log out a connected session (and stop its initiator), then wait up to DISCONNECT_WAIT seconds until
        it is neither connected nor claimed by a connection being routed to it."""
        if runner.state in CONNECTED_STATES or runner.session_id in self.engine.initiators:
            await self.engine._end_session_time(settings, runner, SCHEDULE_RESET)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DISCONNECT_WAIT
        # a connection closed at LogoutTimeout, or a refused Logon's, reports its end a moment later
        while not _free(runner) and (left := deadline - loop.time()) > 0:
            await runner.wait_for(lambda _state: _free(runner), min(FREE_POLL, left))


def _free(runner: SessionRunner) -> bool:
    """True when no connection uses ``runner``'s session or is being routed to it."""
    return not runner.claimed and runner.state not in CONNECTED_STATES


__all__ = [
    "REOPENS_AFTER_RESET",
    "SCHEDULE_RESET",
    "SCHEDULE_STOPPED",
    "EngineScheduler",
    "Occurrence",
    "SchedulerGate",
    "Timetable",
    "scheduler_zone",
]
