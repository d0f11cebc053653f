"""Environment overrides PYFIXMSG_PLUS__<SECTION>__<KEY>, applied after the file; errors name the variable."""

from __future__ import annotations

import pytest

from pyfixmsg_plus.config import ConfigError, ConfigManager
from pyfixmsg_plus.config.env import variable_name

TWO_SESSIONS = """\
[DEFAULT]
SocketConnectPort=9876
HeartBtInt=30
[SESSION]
SenderCompID=A
TargetCompID=X
[SESSION]
SenderCompID=B
TargetCompID=X
"""


def load(text: str, **environ: str) -> ConfigManager:
    return ConfigManager.from_string(text, "cfg.ini", environ=environ)


def test_default_override_reaches_every_session() -> None:
    config = load(TWO_SESSIONS, PYFIXMSG_PLUS__DEFAULT__HEARTBTINT="10")
    assert [s.heart_bt_int for s in config.sessions()] == [10, 10]


def test_numbered_session_override_wins_over_file_and_default() -> None:
    config = load(
        TWO_SESSIONS,
        PYFIXMSG_PLUS__SESSION2__SOCKETCONNECTPORT="9999",
        PYFIXMSG_PLUS__SESSION_1__heartbtint="5",
    )
    first, second = config.sessions()
    assert (first.heart_bt_int, first.socket_connect_port) == (5, 9876)
    assert (second.heart_bt_int, second.socket_connect_port) == (30, 9999)


def test_override_by_alias_replaces_the_file_spelling() -> None:
    config = load(
        "[FIX]\nsender=A\ntarget=B\nport=1\nSenderCompID=A\n", PYFIXMSG_PLUS__FIX__SENDER_COMP_ID="Z"
    )
    assert config.sessions()[0].sender_comp_id == "Z"
    assert config.get("FIX", "sender") == "Z"


def test_variable_name_follows_the_rule() -> None:
    assert variable_name("SESSION2", "HeartBtInt") == "PYFIXMSG_PLUS__SESSION2__HEARTBTINT"
    config = load(TWO_SESSIONS, **{variable_name("SESSION2", "HeartBtInt"): "7"})
    assert config.sessions()[1].heart_bt_int == 7


def test_unrelated_variables_are_left_alone() -> None:
    config = load(TWO_SESSIONS, PYFIXMSG_PLUS_NO_EXTENSIONS="1", PATH="/bin")
    assert len(config.sessions()) == 2


@pytest.mark.parametrize(
    ("variable", "value", "fragment"),
    [
        ("PYFIXMSG_PLUS__SESSION1__HEARTBTINT", "abc", "key HEARTBTINT = 'abc': is not a whole number"),
        ("PYFIXMSG_PLUS__SESSION1__HEARTBEET", "1", "did you mean"),
        ("PYFIXMSG_PLUS__SESSION3__HEARTBTINT", "1", "no [SESSION] number 3"),
        ("PYFIXMSG_PLUS__SESSION__HEARTBTINT", "1", "SESSION is ambiguous"),
        ("PYFIXMSG_PLUS__SESSIONS__HEARTBTINT", "1", "unknown section"),
        ("PYFIXMSG_PLUS__HEARTBTINT", "1", "does not follow the rule"),
        ("PYFIXMSG_PLUS__FIX__SENDER", "1", "no [FIX] section"),
        ("PYFIXMSG_PLUS__SESSION2__SOCKETCONNECTPORT", "0", "1..65535"),
    ],
)
def test_bad_override_names_the_variable(variable: str, value: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(TWO_SESSIONS, **{variable: value})
    assert f"environment variable {variable}" in str(caught.value)
    assert fragment in str(caught.value)


def test_overrides_are_not_written_back(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "cfg.ini"  # type: ignore[operator]
    path.write_text(TWO_SESSIONS)
    config = ConfigManager(path, environ={"PYFIXMSG_PLUS__DEFAULT__HEARTBTINT": "10"})
    config.save_config()
    assert path.read_text() == TWO_SESSIONS
