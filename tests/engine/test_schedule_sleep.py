"""``session_time.sleep_until``, the one sleep of both schedule tasks (StartTime/EndTime and ``[Scheduler]``): it
naps at most MAX_SCHEDULE_SLEEP seconds and reads the clock after each nap, so a wall-clock step is noticed
within a nap. Driven by a fake clock and a fake sleep that moves it: no real waiting."""

from __future__ import annotations

import asyncio
import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyfixmsg_plus.engine import session_time
from pyfixmsg_plus.engine.session_time import (
    MAX_SCHEDULE_SLEEP,
    MIN_SCHEDULE_SLEEP,
    SessionTimeKeeper,
    sleep_until,
    utc_text,
)
from pyfixmsg_plus.session.schedule import SessionSchedule

#: 06:00 UTC on a Monday, epoch seconds
SIX_AM = datetime.datetime(2026, 3, 2, 6, 0, tzinfo=datetime.UTC).timestamp()


class FakeClock:
    """A wall clock moved only by its ``sleep`` (by the nap's length) or by ``jumps`` (clock steps, applied at the
    end of the nap of the same index): records every nap."""

    def __init__(self, now: float, jumps: dict[int, float] | None = None) -> None:
        self.now = now
        self.naps: list[float] = []
        self.jumps = jumps or {}

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.now += self.jumps.get(len(self.naps), 0.0)
        self.naps.append(seconds)


def test_a_long_wait_is_cut_into_naps_of_at_most_the_cap() -> None:
    clock = FakeClock(SIX_AM)
    asyncio.run(sleep_until(clock, SIX_AM + 3600.5, clock.sleep))
    assert clock.naps == [MAX_SCHEDULE_SLEEP] * 60 + [0.5]
    assert clock.now == SIX_AM + 3600.5


def test_a_forward_clock_step_ends_the_wait_after_the_nap_it_happened_in() -> None:
    clock = FakeClock(SIX_AM, jumps={1: 7200.0})  # NTP steps the clock two hours forward during the second nap
    asyncio.run(sleep_until(clock, SIX_AM + 3600, clock.sleep))
    assert clock.naps == [MAX_SCHEDULE_SLEEP, MAX_SCHEDULE_SLEEP]


def test_a_backward_clock_step_makes_the_wait_longer() -> None:
    clock = FakeClock(SIX_AM, jumps={0: -600.0})  # ten minutes back during the first nap
    asyncio.run(sleep_until(clock, SIX_AM + 120, clock.sleep))
    assert clock.now >= SIX_AM + 120
    assert sum(clock.naps) == pytest.approx(720.0)
    assert max(clock.naps) <= MAX_SCHEDULE_SLEEP


def test_a_time_already_reached_returns_without_sleeping_and_a_hair_before_naps_the_minimum() -> None:
    clock = FakeClock(SIX_AM)
    asyncio.run(sleep_until(clock, SIX_AM, clock.sleep))
    assert clock.naps == []
    asyncio.run(sleep_until(clock, SIX_AM + 0.001, clock.sleep))
    assert clock.naps == [MIN_SCHEDULE_SLEEP]  # no spin on a wake-up a hair before the time


@settings(max_examples=50, deadline=None)
@given(
    wait=st.floats(min_value=-100.0, max_value=86400.0, allow_nan=False),
    jumps=st.dictionaries(st.integers(0, 5), st.floats(min_value=-3600.0, max_value=3600.0), max_size=3),
)
def test_the_wait_ends_at_or_after_the_time_in_naps_within_the_bounds(wait: float, jumps: dict[int, float]) -> None:
    clock = FakeClock(SIX_AM, jumps)
    asyncio.run(sleep_until(clock, SIX_AM + wait, clock.sleep))
    assert clock.now >= SIX_AM + wait
    assert all(MIN_SCHEDULE_SLEEP <= nap <= MAX_SCHEDULE_SLEEP for nap in clock.naps)


class OutsideSessionTime:
    """The parts of a SessionRunner that the StartTime/EndTime task reads while outside session time."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.schedule = SessionSchedule(datetime.time(8, 0), datetime.time(17, 0))
        self.session_id = "FIX.4.4:EXEC->CLIENT"


def test_the_session_time_task_naps_through_the_capped_sleep_and_notices_a_clock_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = FakeClock(SIX_AM, jumps={1: 2 * 3600.0})  # at 06:02 the clock steps to 08:02: the start has passed
    monkeypatch.setattr(session_time, "sleep_until",
                        lambda wall, when: sleep_until(wall, when, clock.sleep))  # the fake sleep, same rule
    runner = OutsideSessionTime(clock)
    asyncio.run(SessionTimeKeeper()._keep_one_period(None, runner))  # type: ignore[arg-type]
    assert clock.naps == [MAX_SCHEDULE_SLEEP, MAX_SCHEDULE_SLEEP]  # not one two-hour sleep to 08:00
    assert runner.schedule.period_of(clock()) is not None


def test_utc_text_names_the_zone() -> None:
    assert utc_text(SIX_AM) == "2026-03-02 06:00:00 UTC"
