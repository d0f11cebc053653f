"""SessionSchedule: daily, overnight and weekly windows, time zones across DST, with a fake clock (epoch seconds)."""

from __future__ import annotations

import datetime
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyfixmsg_plus.session.schedule import SessionSchedule

UTC = datetime.UTC
LONDON = "Europe/London"


def at(text: str, zone: str | None = None) -> float:
    """Epoch seconds of an ISO local time in ``zone`` (UTC when None)."""
    moment = datetime.datetime.fromisoformat(text)
    if zone is None:
        return moment.replace(tzinfo=UTC).timestamp()
    import zoneinfo

    return moment.replace(tzinfo=zoneinfo.ZoneInfo(zone)).timestamp()


def hhmm(text: str) -> datetime.time:
    return datetime.time.fromisoformat(text)


def test_no_schedule_is_always_in_session_and_one_period() -> None:
    schedule = SessionSchedule()
    assert schedule.is_in_session(0.0)
    assert schedule.next_change(1e9) == math.inf
    assert schedule.same_period(0.0, 2e9)


def test_daily_window() -> None:
    schedule = SessionSchedule(hhmm("08:00"), hhmm("17:00"))
    assert not schedule.is_in_session(at("2024-06-03T07:59:59"))
    assert schedule.is_in_session(at("2024-06-03T08:00:00"))
    assert schedule.is_in_session(at("2024-06-03T16:59:59"))
    assert not schedule.is_in_session(at("2024-06-03T17:00:00"))
    assert schedule.next_change(at("2024-06-03T07:00:00")) == at("2024-06-03T08:00:00")
    assert schedule.next_change(at("2024-06-03T12:00:00")) == at("2024-06-03T17:00:00")
    assert schedule.next_change(at("2024-06-03T18:00:00")) == at("2024-06-04T08:00:00")


def test_daily_periods_are_distinct_days() -> None:
    schedule = SessionSchedule(hhmm("08:00"), hhmm("17:00"))
    assert schedule.same_period(at("2024-06-03T08:30:00"), at("2024-06-03T16:00:00"))
    assert not schedule.same_period(at("2024-06-03T08:30:00"), at("2024-06-04T09:00:00"))
    # a time outside session time belongs to no period (QuickFIX resets a store created then)
    assert not schedule.same_period(at("2024-06-03T07:00:00"), at("2024-06-03T09:00:00"))


def test_window_crossing_midnight() -> None:
    schedule = SessionSchedule(hhmm("22:00"), hhmm("06:00"))
    assert schedule.is_in_session(at("2024-06-03T23:00:00"))
    assert schedule.is_in_session(at("2024-06-04T05:59:00"))
    assert not schedule.is_in_session(at("2024-06-04T06:00:00"))
    assert not schedule.is_in_session(at("2024-06-04T12:00:00"))
    assert schedule.same_period(at("2024-06-03T23:00:00"), at("2024-06-04T05:00:00"))
    assert not schedule.same_period(at("2024-06-03T05:00:00"), at("2024-06-03T23:00:00"))
    assert schedule.next_change(at("2024-06-04T01:00:00")) == at("2024-06-04T06:00:00")
    assert schedule.next_change(at("2024-06-04T12:00:00")) == at("2024-06-04T22:00:00")


def test_equal_start_and_end_is_a_24_hour_period_with_a_daily_reset() -> None:
    schedule = SessionSchedule(hhmm("05:00"), hhmm("05:00"))
    assert schedule.is_in_session(at("2024-06-03T04:59:59"))
    assert schedule.is_in_session(at("2024-06-03T05:00:00"))
    assert not schedule.same_period(at("2024-06-03T04:59:59"), at("2024-06-03T05:00:00"))


def test_weekly_window() -> None:
    # Sunday 22:00 to Friday 21:00 (ISO weekdays: 7 = Sunday, 5 = Friday); 2024-06-02 is a Sunday
    schedule = SessionSchedule(hhmm("22:00"), hhmm("21:00"), start_day=7, end_day=5)
    assert not schedule.is_in_session(at("2024-06-02T21:00:00"))
    assert schedule.is_in_session(at("2024-06-02T22:00:00"))
    assert schedule.is_in_session(at("2024-06-05T03:00:00"))  # Wednesday night: no daily break
    assert not schedule.is_in_session(at("2024-06-07T21:00:00"))
    assert not schedule.is_in_session(at("2024-06-08T12:00:00"))  # Saturday
    assert schedule.same_period(at("2024-06-03T01:00:00"), at("2024-06-07T20:00:00"))
    assert schedule.next_change(at("2024-06-08T12:00:00")) == at("2024-06-09T22:00:00")


def test_time_zone_across_spring_forward() -> None:
    # London: 2024-03-31 clocks go from 01:00 GMT to 02:00 BST; 08:00 local is 08:00Z before, 07:00Z after
    schedule = SessionSchedule(hhmm("08:00"), hhmm("17:00"), LONDON)
    assert schedule.is_in_session(at("2024-03-30T08:00:00"))
    assert schedule.is_in_session(at("2024-03-31T07:00:00"))  # 08:00 BST
    assert not schedule.is_in_session(at("2024-03-31T06:59:59"))
    assert schedule.next_change(at("2024-03-30T20:00:00")) == at("2024-03-31T08:00:00", LONDON)
    assert schedule.next_change(at("2024-03-30T20:00:00")) - at("2024-03-30T17:00:00") == 14 * 3600


def test_overnight_window_across_fall_back_is_25_hours_long_less_the_break() -> None:
    # London: 2024-10-27 02:00 BST -> 01:00 GMT; the night period 22:00 -> 06:00 lasts 9 hours that night
    schedule = SessionSchedule(hhmm("22:00"), hhmm("06:00"), LONDON)
    start = at("2024-10-26T22:00:00", LONDON)
    assert schedule.next_change(start) - start == 9 * 3600
    assert schedule.same_period(start, start + 8.5 * 3600)


def test_local_time_zone_uses_the_machine_clock() -> None:
    schedule = SessionSchedule(hhmm("00:00"), hhmm("23:59:59"), None)
    noon_local = datetime.datetime.combine(datetime.date(2024, 6, 3), hhmm("12:00")).timestamp()
    assert schedule.is_in_session(noon_local)


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"start": hhmm("08:00")}, "EndTime"),
        ({"start": hhmm("08:00"), "end": hhmm("09:00"), "start_day": 1}, "EndDay"),
        ({"start": hhmm("08:00"), "end": hhmm("09:00"), "start_day": 9, "end_day": 1}, "StartDay=9"),
    ],
)
def test_incomplete_settings_name_the_setting(kwargs: dict[str, object], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        SessionSchedule(**kwargs)  # type: ignore[arg-type]


_times = st.times().map(lambda t: t.replace(microsecond=0))
_instants = st.floats(min_value=1.6e9, max_value=1.9e9, allow_nan=False)
_zones = st.sampled_from(["UTC", LONDON, "America/New_York", "Australia/Sydney"])


@settings(max_examples=150, deadline=None)
@given(start=_times, end=_times, zone=_zones, now=_instants)
def test_next_change_flips_the_state_and_nothing_changes_before_it(
    start: datetime.time, end: datetime.time, zone: str, now: float
) -> None:
    schedule = SessionSchedule(start, end, zone)
    change = schedule.next_change(now)
    inside = schedule.is_in_session(now)
    assert now < change <= now + 2 * 86400
    assert schedule.is_in_session((now + change) / 2) == inside
    # a 24-hour period (start == end) ends where the next one starts: the state stays, the period changes
    assert schedule.is_in_session(change) != inside or start == end
    if inside:
        assert schedule.same_period(now, change - 1e-3) or change - now < 1e-3
        assert not schedule.same_period(now, change)
