"""The pure decision logic of ``[Scheduler] schedules`` (``Timetable``): the running state at a time and the
next entries after it, in UTC (DST-free), across midnight, with entries of the same minute, and in a DST zone."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyfixmsg_plus.config import ScheduleAction, ScheduleEntry
from pyfixmsg_plus.engine.scheduler import Occurrence, SchedulerGate, Timetable

START, STOP, RESET, RESET_START = (ScheduleAction.START, ScheduleAction.STOP, ScheduleAction.RESET,
                                   ScheduleAction.RESET_START)
DAY = 86400.0
#: a Monday in UTC; the tests' times are offsets from its midnight
MIDNIGHT = datetime.datetime(2026, 3, 2, tzinfo=datetime.UTC).timestamp()


def at(hhmm: str, day: int = 0) -> float:
    """Epoch seconds of ``hhmm`` (HH:MM or HH:MM:SS, UTC) on the test day plus ``day`` days."""
    parts = [int(p) for p in hhmm.split(":")] + [0]
    return MIDNIGHT + day * DAY + parts[0] * 3600 + parts[1] * 60 + parts[2]


def entry(hhmm: str, action: ScheduleAction) -> ScheduleEntry:
    hour, minute = (int(p) for p in hhmm.split(":"))
    return ScheduleEntry(datetime.time(hour, minute), action)


def table(*entries: tuple[str, ScheduleAction], zone: str | datetime.tzinfo | None = datetime.UTC) -> Timetable:
    return Timetable([entry(t, a) for t, a in entries], zone)


OFFICE_HOURS = table(("08:00", START), ("17:00", STOP))
NIGHT_SHIFT = table(("22:00", START), ("06:00", STOP))  # running across midnight


@pytest.mark.parametrize(
    ("when", "running"),
    [
        ("00:00", False), ("07:59:59", False), ("08:00", True), ("08:00:01", True), ("12:00", True),
        ("16:59:59", True), ("17:00", False), ("23:59:59", False),
    ],
)
def test_state_during_a_day(when: str, running: bool) -> None:
    assert OFFICE_HOURS.running_at(at(when)) is running


@pytest.mark.parametrize(
    ("when", "running"),
    [("21:59", False), ("22:00", True), ("23:59:59", True), ("00:00", True), ("03:00", True), ("05:59:59", True),
     ("06:00", False), ("12:00", False)],
)
def test_state_across_midnight_looks_back_to_the_day_before(when: str, running: bool) -> None:
    assert NIGHT_SHIFT.running_at(at(when)) is running


def test_reset_keeps_the_state_and_reset_start_starts() -> None:
    timetable = table(("08:00", START), ("12:00", RESET), ("17:00", STOP), ("20:00", RESET))
    assert timetable.running_at(at("12:30")) is True  # reset after start: still running
    assert timetable.running_at(at("20:30")) is False  # reset after stop: still stopped
    assert table(("17:00", STOP), ("20:00", RESET_START)).running_at(at("20:30")) is True


def test_last_reset_is_the_latest_reset_or_reset_start_at_or_before_now() -> None:
    resets = table(("08:00", START), ("00:00", RESET), ("18:00", RESET_START), ("20:00", STOP))
    assert resets.last_reset_at_or_before(at("17:59")) == at("00:00")
    assert resets.last_reset_at_or_before(at("18:00")) == at("18:00")
    assert resets.last_reset_at_or_before(at("23:59")) == at("18:00")
    assert resets.last_reset_at_or_before(at("00:00", day=1)) == at("00:00", day=1)
    assert OFFICE_HOURS.last_reset_at_or_before(at("12:00")) is None


def test_entries_without_start_or_stop_leave_the_engine_running() -> None:
    assert table(("03:00", RESET)).running_at(at("04:00")) is True


def test_only_a_stop_keeps_the_engine_stopped_all_day() -> None:
    timetable = table(("17:00", STOP))
    assert not any(timetable.running_at(at(f"{hour:02d}:30")) for hour in range(24))


@pytest.mark.parametrize(
    ("entries", "running"),
    [
        ((("09:00", START), ("09:00", STOP)), False),  # same minute: the later in the list wins
        ((("09:00", STOP), ("09:00", START)), True),
        ((("09:00", STOP), ("09:00", RESET_START)), True),
        ((("09:00", START), ("09:00", STOP), ("09:00", RESET)), False),
    ],
)
def test_same_minute_entries_count_in_list_order(
    entries: tuple[tuple[str, ScheduleAction], ...], running: bool
) -> None:
    assert table(*entries).running_at(at("09:00:30")) is running


def test_next_after_is_the_first_later_entry_and_wraps_to_tomorrow() -> None:
    assert OFFICE_HOURS.next_after(at("07:00")) == [Occurrence(at("08:00"), 0, START)]
    assert OFFICE_HOURS.next_after(at("08:00")) == [Occurrence(at("17:00"), 1, STOP)]  # strictly after
    assert OFFICE_HOURS.next_after(at("17:00")) == [Occurrence(at("08:00", day=1), 0, START)]
    assert NIGHT_SHIFT.next_after(at("23:00")) == [Occurrence(at("06:00", day=1), 1, STOP)]


def test_next_after_returns_every_entry_of_the_same_minute_in_list_order() -> None:
    timetable = table(("09:00", STOP), ("10:00", START), ("09:00", RESET), ("09:00", START))
    assert [o.action for o in timetable.next_after(at("08:00"))] == [STOP, RESET, START]
    assert [o.position for o in timetable.next_after(at("08:00"))] == [0, 2, 3]


def test_walking_the_timetable_visits_each_entry_once_a_day() -> None:
    timetable = table(("17:00", STOP), ("08:00", START), ("12:00", RESET))
    cursor = at("00:00")
    seen: list[tuple[float, ScheduleAction]] = []
    for _ in range(6):
        due = timetable.next_after(cursor)
        seen.extend((o.when, o.action) for o in due)
        cursor = due[0].when
    assert seen == [(at("08:00"), START), (at("12:00"), RESET), (at("17:00"), STOP),
                    (at("08:00", 1), START), (at("12:00", 1), RESET), (at("17:00", 1), STOP)]


def test_times_are_read_in_the_zone() -> None:
    # New York in March 2026 before DST (UTC-5): 08:00 local is 13:00 UTC
    timetable = table(("08:00", START), ("17:00", STOP), zone="America/New_York")
    assert timetable.running_at(at("12:59")) is False
    assert timetable.running_at(at("13:00")) is True
    assert timetable.next_after(at("12:00"))[0].when == at("13:00")


def test_a_dst_change_moves_the_utc_time_of_the_entry() -> None:
    # Europe/London goes to BST (UTC+1) on 2026-03-29: 08:00 local is 08:00 UTC before and 07:00 UTC after
    timetable = table(("08:00", START), zone="Europe/London")
    before = datetime.datetime(2026, 3, 28, 9, tzinfo=datetime.UTC).timestamp()
    after = timetable.next_after(before)[0].when
    assert after == datetime.datetime(2026, 3, 29, 7, tzinfo=datetime.UTC).timestamp()


def test_an_empty_list_is_refused() -> None:
    with pytest.raises(ValueError, match="schedules is empty"):
        Timetable([])


SCHEDULE_ENTRIES = st.lists(
    st.tuples(st.integers(0, 23), st.integers(0, 59), st.sampled_from(list(ScheduleAction))), min_size=1, max_size=6
)


def brute_force_running(entries: list[tuple[int, int, ScheduleAction]], now: float) -> bool:
    """The rule, by walking the last 48 hours minute by minute (independent of Timetable's arithmetic)."""
    minute = int((now - MIDNIGHT) // 60)
    for back in range(0, 2 * 24 * 60):
        m = (minute - back) % (24 * 60)
        for hour, mins, action in reversed(entries):  # later in the list counts as later within a minute
            if hour * 60 + mins == m and action is not RESET:
                return action is not STOP
    return True


@settings(max_examples=150, deadline=None)
@given(SCHEDULE_ENTRIES, st.floats(0, 3 * DAY - 1))
def test_running_at_matches_a_minute_by_minute_walk(
    entries: list[tuple[int, int, ScheduleAction]], offset: float
) -> None:
    timetable = Timetable([ScheduleEntry(datetime.time(h, m), a) for h, m, a in entries])
    now = MIDNIGHT + offset
    assert timetable.running_at(now) is brute_force_running(entries, now)


@settings(max_examples=150, deadline=None)
@given(SCHEDULE_ENTRIES, st.floats(0, 3 * DAY - 1))
def test_next_after_is_within_a_day_and_nothing_falls_between(
    entries: list[tuple[int, int, ScheduleAction]], offset: float
) -> None:
    timetable = Timetable([ScheduleEntry(datetime.time(h, m), a) for h, m, a in entries])
    now = MIDNIGHT + offset
    due = timetable.next_after(now)
    first = due[0].when
    assert now < first <= now + DAY
    assert [o.position for o in due] == sorted(o.position for o in due)
    # no occurrence of any entry lies strictly between now and the next one
    minute_of_day = {int((first - MIDNIGHT) // 60) % 1440}
    assert {(h * 60 + m) for h, m, _ in (entries[o.position] for o in due)} == minute_of_day
    assert first == timetable.next_after(first - 0.5)[0].when


def test_next_start_after_is_the_first_later_start_or_reset_start() -> None:
    schedule = table(("08:00", START), ("12:00", RESET), ("17:00", STOP), ("20:00", RESET_START))
    assert schedule.next_start_after(at("07:00")) == at("08:00")
    assert schedule.next_start_after(at("08:00")) == at("20:00")  # after, not at: a reset is no start
    assert schedule.next_start_after(at("21:00")) == at("08:00", day=1)
    assert table(("17:00", STOP), ("00:00", RESET)).next_start_after(at("12:00")) is None


def test_a_closed_gate_says_why_and_when_it_opens_again() -> None:
    gate = SchedulerGate()
    assert gate.logon_refusal() is None and gate.is_in_session(at("03:00"))
    gate.close("at the next start, 2026-03-03 08:00:00 UTC")
    refusal = gate.logon_refusal()
    assert refusal is not None and "[Scheduler]" in refusal and "2026-03-03 08:00:00 UTC" in refusal
    assert not gate.is_in_session(at("12:00"))
    gate.open()
    assert gate.logon_refusal() is None
