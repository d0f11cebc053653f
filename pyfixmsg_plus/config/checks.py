"""Rules between keys of a session (conflicts and keys required by other keys), checked after conversion."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pyfixmsg_plus.config.app_versions import dictionary_version
from pyfixmsg_plus.config.errors import ConfigError
from pyfixmsg_plus.config.ini import RawSection
from pyfixmsg_plus.config.settings import ConnectionType, ScheduleEntry, SessionSettings
from pyfixmsg_plus.session.config import version_key
from pyfixmsg_plus.session.next_expected import supports_next_expected

#: TimeZone values that name UTC itself (the same zone as no TimeZone without UseLocalTime)
_UTC_NAMES = frozenset({"UTC", "ETC/UTC"})
_PAIRS = (("StartTime", "EndTime", "start_time", "end_time"), ("StartDay", "EndDay", "start_day", "end_day"))


def check_session(fields: dict[str, object], section: RawSection) -> None:
    """Raise ConfigError naming the section and keys when typed ``fields`` break a rule between keys."""
    _check_role_ports(fields, section)
    _check_pairs(fields, section)
    _check_fixt(fields, section)
    _check_app_dictionary(fields, section)
    _check_versioned_dictionaries(fields, section)
    _check_next_expected(fields, section)
    _check_tls(fields, section)
    _check_reconnect(fields, section)


def _check_role_ports(fields: dict[str, object], section: RawSection) -> None:
    # QuickFIX: an initiator needs SocketConnectPort, an acceptor SocketAcceptPort
    if fields["connection_type"] is ConnectionType.INITIATOR and fields["socket_connect_port"] is None:
        raise ConfigError(
            "missing required key SocketConnectPort (or `port`) for an initiator session",
            section.location("SocketConnectPort"),
        )
    if fields["connection_type"] is ConnectionType.ACCEPTOR and fields["socket_accept_port"] is None:
        raise ConfigError(
            "missing required key SocketAcceptPort (or `port`) for an acceptor session",
            section.location("SocketAcceptPort"),
        )


def _check_pairs(fields: dict[str, object], section: RawSection) -> None:
    for first, second, first_attr, second_attr in _PAIRS:
        if (fields[first_attr] is None) != (fields[second_attr] is None):
            given, missing = (first, second) if fields[first_attr] is not None else (second, first)
            raise ConfigError(
                f"{given} is set but {missing} is not; a session schedule needs both",
                section.location(missing),
            )
    if fields["start_day"] is not None and fields["start_time"] is None:
        raise ConfigError(
            "StartDay/EndDay need StartTime/EndTime (the time on those days)", section.location("StartTime")
        )


def _check_fixt(fields: dict[str, object], section: RawSection) -> None:
    # FIXT.1.1 Logon carries DefaultApplVerID(1137); it has no meaning on FIX.4.x sessions
    fixt = fields["begin_string"] == "FIXT.1.1"
    if fixt and fields["default_appl_ver_id"] is None:
        raise ConfigError(
            "BeginString FIXT.1.1 needs DefaultApplVerID (e.g. 9 for FIX 5.0 SP2)",
            section.location("DefaultApplVerID"),
        )
    if not fixt and fields["default_appl_ver_id"] is not None:
        raise ConfigError(
            f"DefaultApplVerID only applies to BeginString FIXT.1.1, not {fields['begin_string']}",
            section.location("DefaultApplVerID"),
        )


def _check_app_dictionary(fields: dict[str, object], section: RawSection) -> None:
    # QuickFIX reads AppDataDictionary (and AppDataDictionary.<BeginString>) on FIXT.1.1 sessions only: a FIX.4.x
    # session given no DataDictionary would silently parse and validate with the built-in dictionary of its
    # BeginString instead of the file named
    begin_string = fields["begin_string"]
    if begin_string == "FIXT.1.1" or fields["data_dictionary"] is not None:
        return
    given = [("AppDataDictionary", fields["app_data_dictionary"])]
    given += [(f"AppDataDictionary.{version}", path) for version, path in _versioned(fields)]
    for key, path in given:
        if path is None:
            continue
        session = f"{begin_string}:{fields['sender_comp_id']}->{fields['target_comp_id']}"
        raise ConfigError(
            f"{key} = {path} is set on session {session} without DataDictionary, so it would be ignored and the "
            "built-in dictionary used: AppDataDictionary is for FIXT.1.1 sessions; use DataDictionary",
            section.location(key),
        )


def _versioned(fields: dict[str, object]) -> tuple[tuple[str, Path], ...]:
    versioned = fields["app_data_dictionaries"]
    assert isinstance(versioned, tuple)
    return versioned


def _check_versioned_dictionaries(fields: dict[str, object], section: RawSection) -> None:
    # AppDataDictionary.<BeginString> judges the messages whose ApplVerID(1128) is that version: a file declaring
    # another version (its <fix major minor servicepack>) would judge them by the wrong rules. A file that cannot
    # be read is left to the engine, which names it when it loads the dictionary.
    for version, path in _versioned(fields):
        declared = dictionary_version(path)
        if declared is not None and declared != version:
            raise ConfigError(
                f"AppDataDictionary.{version} = {path} declares {declared} (its <fix> major/minor/servicepack), "
                f"not {version}: name it AppDataDictionary.{declared} or give a {version} dictionary",
                section.location(f"AppDataDictionary.{version}"),
            )


def _check_next_expected(fields: dict[str, object], section: RawSection) -> None:
    # NextExpectedMsgSeqNum(789) is a Logon field from FIX.4.4 on (and of FIXT.1.1); older Logons have no place
    # for it, so the setting could never take effect
    begin_string = str(fields["begin_string"])
    if fields["enable_next_expected_msg_seq_num"] and not supports_next_expected(version_key(begin_string)):
        raise ConfigError(
            f"EnableNextExpectedMsgSeqNum = Y needs BeginString FIX.4.4 or FIXT.1.1: NextExpectedMsgSeqNum(789) "
            f"is not in the Logon of {begin_string}",
            section.location("EnableNextExpectedMsgSeqNum"),
        )


def _check_tls(fields: dict[str, object], section: RawSection) -> None:
    if fields["ssl_private_key"] is not None and fields["ssl_certificate"] is None:
        raise ConfigError(
            "SSLPrivateKey is set without SSLCertificate; give the certificate it belongs to",
            section.location("SSLCertificate"),
        )
    if not fields["socket_use_ssl"]:
        return
    acceptor = fields["connection_type"] is ConnectionType.ACCEPTOR
    if acceptor and (fields["ssl_certificate"] is None or fields["ssl_private_key"] is None):
        raise ConfigError(
            "a TLS acceptor (SocketUseSSL=Y) needs SSLCertificate and SSLPrivateKey",
            section.location("SSLCertificate"),
        )
    if acceptor and fields["ssl_require_client_certificate"] and fields["ssl_ca_certificate"] is None:
        raise ConfigError(
            "SSLRequireClientCertificate=Y needs SSLCACertificate to verify client certificates",
            section.location("SSLCACertificate"),
        )


def _check_reconnect(fields: dict[str, object], section: RawSection) -> None:
    interval, cap = fields["reconnect_interval"], fields["reconnect_max_interval"]
    assert isinstance(interval, float) and isinstance(cap, float)
    if cap < interval:
        raise ConfigError(
            f"ReconnectMaxInterval ({cap:g} s) is below ReconnectInterval ({interval:g} s)",
            section.location("ReconnectMaxInterval"),
        )


def check_unique_ids(sessions: Sequence[SessionSettings], sections: Sequence[RawSection]) -> None:
    """Two sessions may not share a session id (QuickFIX: BeginString, CompIDs and SessionQualifier)."""
    seen: dict[str, RawSection] = {}
    for settings, section in zip(sessions, sections, strict=True):
        first = seen.setdefault(settings.session_id, section)
        if first is not section:
            raise ConfigError(
                f"session {settings.session_id} is already defined by [{first.label}] ({first.source}); "
                "add a SessionQualifier to tell them apart",
                section.location(),
            )


def check_scheduler(
    schedules: Sequence[ScheduleEntry],
    sessions: Sequence[SessionSettings],
    sections: Sequence[RawSection],
    scheduler: RawSection | None,
) -> None:
    """``[Scheduler] schedules`` starts and stops every session: none may keep its own StartTime/EndTime, and
    all must read the schedule's times in the same zone (TimeZone / UseLocalTime)."""
    if not schedules:
        return
    for settings, section in zip(sessions, sections, strict=True):
        if settings.start_time is not None:
            raise ConfigError(
                "StartTime/EndTime and [Scheduler] schedules are both set; the scheduler starts and stops every "
                "session, so keep one: remove StartTime/EndTime (and StartDay/EndDay) from this session or "
                "`schedules` from [Scheduler]",
                section.location("StartTime"),
            )
    zones = {_zone_of(settings): section for settings, section in zip(sessions, sections, strict=True)}
    if len(zones) > 1:
        named = ", ".join(f"{zone} in [{section.label}]" for zone, section in zones.items())
        where = scheduler.location("schedules") if scheduler is not None else sections[0].location("TimeZone")
        raise ConfigError(
            f"[Scheduler] schedules applies to every session, but they read times in different zones ({named}); "
            "set one TimeZone (and UseLocalTime) in [DEFAULT]",
            where,
        )


def _zone_of(settings: SessionSettings) -> str:
    """The zone the session reads times of day in, as text for messages: the rule of
    ``engine.building.build_schedule`` (any TimeZone, UTC included, wins over UseLocalTime = Y; UTC by default)."""
    if settings.time_zone:
        return "UTC" if settings.time_zone.upper() in _UTC_NAMES else f"TimeZone={settings.time_zone}"
    return "local time (UseLocalTime=Y)" if settings.use_local_time else "UTC"
