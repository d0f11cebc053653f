"""``[Scheduler] schedules`` against the sessions' own settings: StartTime/EndTime with the scheduler is an error,
and every session must read the schedule's times in one zone; ``pyfixmsg-plus config check`` reports both."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from pyfixmsg_plus.cli.main import main
from pyfixmsg_plus.config import ConfigError, ConfigManager, ScheduleAction, ScheduleEntry
from pyfixmsg_plus.engine import building

SCHEDULER = '[Scheduler]\nschedules = [{"time": "08:00", "action": "start"}, {"time": "17:00", "action": "stop"}]\n'
SESSION = "[SESSION]\nSenderCompID=A\nTargetCompID={target}\nSocketConnectPort=9876\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scheduled.ini"
    path.write_text(text)
    return path


def test_session_time_and_scheduler_together_is_an_error_naming_both(tmp_path: Path) -> None:
    path = write(tmp_path, SESSION.format(target="B") + "StartTime=08:00:00\nEndTime=17:00:00\n" + SCHEDULER)
    with pytest.raises(ConfigError) as caught:
        ConfigManager(path)
    message = str(caught.value)
    for fragment in ("StartTime/EndTime", "[Scheduler] schedules", "[SESSION #1]", "key StartTime", str(path)):
        assert fragment in message


def test_session_time_from_default_names_the_session_it_reaches(tmp_path: Path) -> None:
    text = ("[DEFAULT]\nStartTime=08:00:00\nEndTime=17:00:00\n" + SESSION.format(target="B")
            + SESSION.format(target="C") + SCHEDULER)
    with pytest.raises(ConfigError, match=r"\[SESSION #1\].*StartTime/EndTime and \[Scheduler\] schedules"):
        ConfigManager(write(tmp_path, text))


def test_config_check_reports_the_conflict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, SESSION.format(target="B") + "StartTime=08:00:00\nEndTime=17:00:00\n" + SCHEDULER)
    assert main(["config", "check", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "[Scheduler] schedules" in err and "StartTime" in err


def test_sessions_reading_times_in_different_zones_is_an_error(tmp_path: Path) -> None:
    text = (SESSION.format(target="B") + "TimeZone=Europe/London\n" + SESSION.format(target="C")
            + "TimeZone=America/New_York\n" + SCHEDULER)
    with pytest.raises(ConfigError) as caught:
        ConfigManager(write(tmp_path, text))
    message = str(caught.value)
    for fragment in ("section [Scheduler]", "key schedules", "TimeZone=Europe/London", "TimeZone=America/New_York"):
        assert fragment in message


def test_one_zone_for_every_session_is_accepted(tmp_path: Path) -> None:
    text = ("[DEFAULT]\nTimeZone=Europe/London\n" + SESSION.format(target="B") + SESSION.format(target="C")
            + SCHEDULER)
    config = ConfigManager(write(tmp_path, text))
    assert [s.time_zone for s in config.sessions()] == ["Europe/London", "Europe/London"]
    assert config.engine_settings().schedules == (
        ScheduleEntry(datetime.time(8, 0), ScheduleAction.START),
        ScheduleEntry(datetime.time(17, 0), ScheduleAction.STOP),
    )


def test_utc_spelled_out_and_unset_are_the_same_zone(tmp_path: Path) -> None:
    text = SESSION.format(target="B") + "TimeZone=UTC\n" + SESSION.format(target="C") + SCHEDULER
    assert len(ConfigManager(write(tmp_path, text)).sessions()) == 2


def test_session_time_without_schedules_is_still_fine(tmp_path: Path) -> None:
    text = SESSION.format(target="B") + "StartTime=08:00:00\nEndTime=17:00:00\n[Scheduler]\nschedules = []\n"
    assert ConfigManager(write(tmp_path, text)).sessions()[0].start_time == datetime.time(8, 0)


def test_setting_schedules_in_code_is_checked_too() -> None:
    config = ConfigManager.from_dict(
        {"SESSION": [{"SenderCompID": "A", "TargetCompID": "B", "SocketConnectPort": 9876,
                      "StartTime": "08:00:00", "EndTime": "17:00:00"}]}
    )
    with pytest.raises(ConfigError, match=r"StartTime/EndTime and \[Scheduler\] schedules"):
        config.set("Scheduler", "schedules", '[{"time": "09:00", "action": "reset"}]')
    assert config.engine_settings().schedules == ()  # the change was undone


#: (TimeZone, UseLocalTime) of a session: no zone, UTC spelled out, a named zone, each with and without local time
ZONE_SETTINGS = [(zone, local) for zone in (None, "UTC", "Europe/London") for local in (False, True)]


def zone_lines(zone: str | None, local: bool) -> str:
    return (f"TimeZone={zone}\n" if zone else "") + ("UseLocalTime=Y\n" if local else "")


def schedule_zone(tmp_path: Path, zone: str | None, local: bool) -> str:
    """The zone the engine reads StartTime/EndTime (and the scheduler's times) in, as a name ("local" for None)."""
    path = tmp_path / "zone.ini"
    path.write_text(SESSION.format(target="B") + zone_lines(zone, local))
    built = building.build_schedule(ConfigManager(path).sessions()[0]).zone
    return "local" if built is None else str(built)


def test_timezone_utc_wins_over_use_local_time_as_the_engine_reads_it(tmp_path: Path) -> None:
    # the engine reads "TimeZone=UTC + UseLocalTime=Y" as UTC: the check must not take it for local time
    text = (SESSION.format(target="B") + "TimeZone=UTC\nUseLocalTime=Y\n" + SESSION.format(target="C")
            + "UseLocalTime=Y\n" + SCHEDULER)
    with pytest.raises(ConfigError, match=r"UTC in \[SESSION #1\], local time \(UseLocalTime=Y\) in \[SESSION #2\]"):
        ConfigManager(write(tmp_path, text))
    same = SESSION.format(target="B") + "TimeZone=UTC\nUseLocalTime=Y\n" + SESSION.format(target="C") + SCHEDULER
    assert len(ConfigManager(write(tmp_path, same)).sessions()) == 2


@pytest.mark.parametrize("first", ZONE_SETTINGS, ids=str)
@pytest.mark.parametrize("second", ZONE_SETTINGS, ids=str)
def test_the_zone_check_agrees_with_the_engine_schedule(
    tmp_path: Path, first: tuple[str | None, bool], second: tuple[str | None, bool]
) -> None:
    same_zone = schedule_zone(tmp_path, *first) == schedule_zone(tmp_path, *second)
    text = (SESSION.format(target="B") + zone_lines(*first) + SESSION.format(target="C") + zone_lines(*second)
            + SCHEDULER)
    try:
        ConfigManager(write(tmp_path, text))
        accepted = True
    except ConfigError as error:
        assert "different zones" in str(error)
        accepted = False
    assert accepted == same_zone
