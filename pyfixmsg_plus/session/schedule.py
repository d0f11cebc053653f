"""Session time: when a FIX session may be logged on (QuickFIX ``StartTime``/``EndTime``/``StartDay``/``EndDay``).

Pure and without I/O: every method takes the time as epoch seconds, so tests drive it with a fake clock.

A *period* runs from a start to the following end. Daily periods start every day at ``start``; when ``end`` is
not after ``start`` the period crosses midnight and ends the next day (``end == start`` gives a 24-hour period
that still restarts every day, QuickFIX's daily reset). Weekly periods (``start_day``/``end_day``, ISO weekdays,
1 = Monday) start on ``start_day`` at ``start`` and end at the first ``end_day`` ``end`` after that.
Times of day are wall-clock times in ``zone`` (UTC by default; ``None`` means the machine's local time zone).
A local time skipped by a DST change is read with the offset in force before it, a repeated one as its first
occurrence (``zoneinfo``'s ``fold=0``).
"""

from __future__ import annotations

import datetime
import math
import zoneinfo
from dataclasses import dataclass

_DAY = datetime.timedelta(days=1)
#: days searched around ``now`` for a period start: a weekly period spans at most 7 days
_SEARCH_DAYS = 8


@dataclass(frozen=True, slots=True)
class Period:
    """One session period, ``start`` <= t < ``end`` (epoch seconds)."""

    start: float
    end: float

    def contains(self, now: float) -> bool:
        """True when ``now`` (epoch seconds) falls in the period."""
        return self.start <= now < self.end


class SessionSchedule:
    """When a session is in session time; without ``start``/``end`` it is always in session.

    ``zone`` is a tzinfo, an IANA name (``"Europe/London"``), ``None`` for the machine's local time, or omitted
    for UTC. ``start_day``/``end_day`` (ISO weekdays) make the schedule weekly.
    """

    def __init__(
        self,
        start: datetime.time | None = None,
        end: datetime.time | None = None,
        zone: datetime.tzinfo | str | None = datetime.UTC,
        *,
        start_day: int | None = None,
        end_day: int | None = None,
    ) -> None:
        if (start is None) != (end is None):
            raise ValueError(f"StartTime={start} and EndTime={end}: set both or neither")
        if (start_day is None) != (end_day is None):
            raise ValueError(f"StartDay={start_day} and EndDay={end_day}: set both or neither")
        if start_day is not None and start is None:
            raise ValueError(f"StartDay={start_day} needs StartTime/EndTime (the time on those days)")
        for name, day in (("StartDay", start_day), ("EndDay", end_day)):
            if day is not None and not 1 <= day <= 7:
                raise ValueError(f"{name}={day} is not an ISO weekday (1 = Monday .. 7 = Sunday)")
        self.start = start
        self.end = end
        self.zone: datetime.tzinfo | None = zoneinfo.ZoneInfo(zone) if isinstance(zone, str) else zone
        self.start_day = start_day
        self.end_day = end_day

    @property
    def always(self) -> bool:
        """True without StartTime/EndTime: every moment is in session and in one endless period."""
        return self.start is None

    # ------------------------------------------------------------------ queries
    def is_in_session(self, now: float) -> bool:
        """True when ``now`` (epoch seconds) is inside a session period."""
        return self.always or self._latest_period(now).contains(now)

    def next_change(self, now: float) -> float:
        """Epoch seconds of the next end (in session) or next start (outside); ``math.inf`` without schedule."""
        if self.always:
            return math.inf
        period = self._latest_period(now)
        if period.contains(now):
            return period.end
        return self._next_start(now)

    def same_period(self, t1: float, t2: float) -> bool:
        """True when both times (epoch seconds) are in session and in the same period (QuickFIX's
        isSameSession: a store created in another period must be reset)."""
        if self.always:
            return True
        first, second = self._latest_period(t1), self._latest_period(t2)
        return first == second and first.contains(t1) and second.contains(t2)

    def period_of(self, now: float) -> Period | None:
        """The period holding ``now`` (epoch seconds), None outside session time or without schedule."""
        if self.always:
            return None
        period = self._latest_period(now)
        return period if period.contains(now) else None

    # ------------------------------------------------------------------ periods
    def _latest_period(self, now: float) -> Period:
        """The period whose start is the last one at or before ``now`` (it may have ended already)."""
        today = self._local_date(now)
        for back in range(_SEARCH_DAYS + 1):
            day = today - back * _DAY
            if self._starts_on(day) and self._at(day, self._start_time) <= now:
                return self._period_from(day)
        raise AssertionError("a period starts at least once a week")  # pragma: no cover

    def _next_start(self, now: float) -> float:
        """Epoch seconds of the first period start after ``now``."""
        today = self._local_date(now)
        for ahead in range(-1, _SEARCH_DAYS + 1):
            day = today + ahead * _DAY
            if self._starts_on(day):
                start = self._at(day, self._start_time)
                if start > now:
                    return start
        raise AssertionError("a period starts at least once a week")  # pragma: no cover

    def _period_from(self, day: datetime.date) -> Period:
        start = self._at(day, self._start_time)
        for ahead in range(_SEARCH_DAYS + 1):
            end_day = day + ahead * _DAY
            if self._ends_on(end_day):
                end = self._at(end_day, self._end_time)
                if end > start:
                    return Period(start, end)
        raise AssertionError("a period ends within a week of its start")  # pragma: no cover

    def _starts_on(self, day: datetime.date) -> bool:
        return self.start_day is None or day.isoweekday() == self.start_day

    def _ends_on(self, day: datetime.date) -> bool:
        return self.end_day is None or day.isoweekday() == self.end_day

    @property
    def _start_time(self) -> datetime.time:
        assert self.start is not None
        return self.start

    @property
    def _end_time(self) -> datetime.time:
        assert self.end is not None
        return self.end

    # ------------------------------------------------------------------ wall clock of the zone
    def _local_date(self, now: float) -> datetime.date:
        return datetime.datetime.fromtimestamp(now, self.zone).date()

    def _at(self, day: datetime.date, time_of_day: datetime.time) -> float:
        """Epoch seconds of ``time_of_day`` on ``day`` in the zone (naive = the machine's local time)."""
        return datetime.datetime.combine(day, time_of_day.replace(tzinfo=None), tzinfo=self.zone).timestamp()

    def __repr__(self) -> str:
        if self.always:
            return "SessionSchedule(always)"
        days = f", days {self.start_day}-{self.end_day}" if self.start_day is not None else ""
        return f"SessionSchedule({self.start}-{self.end} {self.zone}{days})"
