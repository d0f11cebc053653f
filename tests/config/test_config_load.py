"""Loading QuickFIX-style and original-layout INI files into typed SessionSettings."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

from pyfixmsg_plus.config import (
    Address,
    ConfigManager,
    ConnectionType,
    PersistenceMode,
    ScheduleAction,
    ScheduleEntry,
    StoreType,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

QUICKFIX = """\
[DEFAULT]
ConnectionType=initiator
HeartBtInt=20   # seconds
SocketConnectHost=fix.example.com
SocketConnectPort=9876
ResetOnLogon=Y  ; QuickFIX style comment
StartTime=08:00:00
EndTime=17:30:00

[SESSION]
BeginString=FIX.4.4
SenderCompID=CLIENT1
TargetCompID=EXEC
SocketConnectHost1=backup.example.com
SocketConnectPort1=9877
SocketConnectHost2=10.0.0.9
SocketConnectPort2=9878

[session]
beginstring=FIX.4.2
sendercompid=CLIENT1
TARGETCOMPID=EXEC
SessionQualifier=eu
ConnectionType=acceptor
SocketAcceptPort=5001
HeartBtInt=45
"""


def write(tmp_path: Path, text: str, name: str = "cfg.ini") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_quickfix_layout_gives_one_typed_session_per_section(tmp_path: Path) -> None:
    config = ConfigManager(write(tmp_path, QUICKFIX), environ={})
    first, second = config.sessions()
    assert first.session_id == "FIX.4.4:CLIENT1->EXEC"
    assert first.connection_type is ConnectionType.INITIATOR
    assert first.heart_bt_int == 20
    assert first.reset_on_logon is True
    assert first.start_time == datetime.time(8, 0) and first.end_time == datetime.time(17, 30)
    assert first.connect_addresses == (
        Address("fix.example.com", 9876),
        Address("backup.example.com", 9877),
        Address("10.0.0.9", 9878),
    )
    assert second.session_id == "FIX.4.2:CLIENT1->EXEC:eu"
    assert second.connection_type is ConnectionType.ACCEPTOR
    assert second.socket_accept_port == 5001 and second.heart_bt_int == 45
    assert second.connect_addresses == ()


def test_schema_defaults_apply_when_nothing_sets_a_key(tmp_path: Path) -> None:
    (session,) = ConfigManager.from_dict(
        {"SESSION": {"SenderCompID": "A", "TargetCompID": "B", "SocketConnectPort": 1}}, environ={}
    ).sessions()
    assert session.begin_string == "FIX.4.4"
    assert session.heart_bt_int == 30
    assert session.store_type is StoreType.DATABASE
    assert session.persistence_mode is PersistenceMode.GROUP
    assert session.validate_fields_out_of_order is True
    assert session.password is None and session.session_qualifier is None
    assert session.store_file == Path("fix_state.db")


def test_original_fix_section_with_scheduler(tmp_path: Path) -> None:
    config = ConfigManager(EXAMPLES / "original_layout.ini", environ={})
    (session,) = config.sessions()
    assert session.session_id == "FIX.4.4:CLIENT1->EXECUTOR"
    assert session.connect_addresses == (Address("127.0.0.1", 9876),)
    assert session.reconnect_interval == 5.0 and session.reconnect_max_retries == 5
    assert session.store_path == Path("fix_state.db")
    assert config.engine_settings().schedules == (
        ScheduleEntry(datetime.time(7, 55), ScheduleAction.START),
        ScheduleEntry(datetime.time(18, 5), ScheduleAction.STOP),
    )


@pytest.mark.parametrize(
    ("aliases", "expected_role"),
    [
        ("sender_comp_id = S\ntarget_comp_id = T\nrole = acceptor\ninterval = 12\nport = 7000\n", "acceptor"),
        ("sender = S\ntarget = T\nmode = initiator\nheartbeat_interval = 12\nport = 7000\n", "initiator"),
    ],
)
def test_original_aliases_are_accepted_not_ignored(tmp_path: Path, aliases: str, expected_role: str) -> None:
    (session,) = ConfigManager(write(tmp_path, "[FIX]\n" + aliases), environ={}).sessions()
    assert (session.sender_comp_id, session.target_comp_id) == ("S", "T")
    assert session.heart_bt_int == 12
    assert session.connection_type.value == expected_role
    port = session.socket_accept_port if expected_role == "acceptor" else session.socket_connect_port
    assert port == 7000


def test_inline_comments_do_not_become_part_of_values(tmp_path: Path) -> None:
    text = "[FIX]\nsender = ME # our id\ntarget = YOU ; theirs\nport = 5000  # the port\n"
    (session,) = ConfigManager(write(tmp_path, text), environ={}).sessions()
    assert (session.sender_comp_id, session.target_comp_id, session.socket_connect_port) == (
        "ME",
        "YOU",
        5000,
    )


def test_empty_value_of_optional_key_means_not_set(tmp_path: Path) -> None:
    text = "[SESSION]\nSenderCompID=A\nTargetCompID=B\nSocketConnectPort=1\nSessionQualifier=\nStartTime=\n"
    (session,) = ConfigManager(write(tmp_path, text), environ={}).sessions()
    assert session.session_qualifier is None and session.start_time is None


def test_instances_are_independent(tmp_path: Path) -> None:
    one = ConfigManager(write(tmp_path, "[FIX]\nsender=A\ntarget=B\nport=1\n", "one.ini"), environ={})
    two = ConfigManager(write(tmp_path, "[FIX]\nsender=C\ntarget=D\nport=2\n", "two.ini"), environ={})
    assert one is not two
    assert one.sessions()[0].sender_comp_id == "A" and two.sessions()[0].sender_comp_id == "C"


def test_from_dict_builds_the_same_settings_as_the_file(tmp_path: Path) -> None:
    from_file = ConfigManager(write(tmp_path, QUICKFIX), environ={}).sessions()
    from_code = ConfigManager.from_dict(
        {
            "DEFAULT": {
                "ConnectionType": ConnectionType.INITIATOR,
                "HeartBtInt": 20,
                "SocketConnectHost": "fix.example.com",
                "SocketConnectPort": 9876,
                "ResetOnLogon": True,
                "StartTime": datetime.time(8, 0),
                "EndTime": "17:30:00",
            },
            "SESSION": [
                {
                    "BeginString": "FIX.4.4",
                    "SenderCompID": "CLIENT1",
                    "TargetCompID": "EXEC",
                    "SocketConnectHost1": "backup.example.com",
                    "SocketConnectPort1": 9877,
                    "SocketConnectHost2": "10.0.0.9",
                    "SocketConnectPort2": 9878,
                },
                {
                    "BeginString": "FIX.4.2",
                    "SenderCompID": "CLIENT1",
                    "TargetCompID": "EXEC",
                    "SessionQualifier": "eu",
                    "ConnectionType": "acceptor",
                    "SocketAcceptPort": 5001,
                    "HeartBtInt": 45,
                },
            ],
        },
        environ={},
    ).sessions()
    assert from_code == from_file


def test_from_dict_accepts_schedules_as_a_list() -> None:
    config = ConfigManager.from_dict(
        {
            "FIX": {"sender": "A", "target": "B", "port": 1},
            "Scheduler": {"schedules": [{"time": "09:00", "action": "reset_start"}]},
        },
        environ={},
    )
    assert config.engine_settings().schedules == (
        ScheduleEntry(datetime.time(9, 0), ScheduleAction.RESET_START),
    )


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.ini")))
def test_every_example_file_loads(name: str) -> None:
    assert ConfigManager(EXAMPLES / name, environ={}).sessions()


def test_session_lookup_by_id(tmp_path: Path) -> None:
    config = ConfigManager(write(tmp_path, QUICKFIX), environ={})
    assert config.session("FIX.4.2:CLIENT1->EXEC:eu").socket_accept_port == 5001
    with pytest.raises(KeyError, match=re.escape("FIX.4.4:CLIENT1->EXEC")):
        config.session("FIX.4.4:NOBODY->EXEC")


def test_store_file_goes_under_file_store_path() -> None:
    (session,) = ConfigManager.from_dict(
        {"FIX": {"sender": "A", "target": "B", "port": 1, "FileStorePath": "/var/fix", "state_file": "a.db"}},
        environ={},
    ).sessions()
    assert session.store_file == Path("/var/fix/a.db")


def test_settings_are_frozen() -> None:
    (session,) = ConfigManager.from_dict(
        {"FIX": {"sender": "A", "target": "B", "port": 1}}, environ={}
    ).sessions()
    with pytest.raises(AttributeError):
        session.heart_bt_int = 5  # type: ignore[misc]
