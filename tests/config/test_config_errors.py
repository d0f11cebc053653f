"""A wrong configuration: one ConfigError paragraph naming file, line, section, key, value and problem."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyfixmsg_plus.config import ConfigError, ConfigManager

BASE = "[SESSION]\nSenderCompID=A\nTargetCompID=B\nSocketConnectPort=9876\n"

CASES = [
    # (name, file text, fragments the message must contain)
    (
        "typo with did-you-mean",
        BASE + "HeartBtIn=30\n",
        ["line 5", "[SESSION #1]", "key HeartBtIn", "did you mean HeartBtInt"],
    ),
    (
        "original alias typo",
        "[FIX]\nsender=A\ntraget=B\nport=1\n",
        ["line 3", "[FIX]", "key traget", "did you mean target"],
    ),
    (
        "missing SenderCompID",
        "[SESSION]\nTargetCompID=B\nSocketConnectPort=1\n",
        ["[SESSION #1]", "missing required key SenderCompID"],
    ),
    (
        "HeartBtInt not a number",
        BASE + "HeartBtInt=abc\n",
        ["line 5", "key HeartBtInt", "'abc'", "whole number"],
    ),
    (
        "port abc",
        "[SESSION]\nSenderCompID=A\nTargetCompID=B\nSocketConnectPort=abc\n",
        ["line 4", "key SocketConnectPort", "'abc'", "1..65535"],
    ),
    (
        "port 0",
        "[SESSION]\nSenderCompID=A\nTargetCompID=B\nSocketConnectPort=0\n",
        ["key SocketConnectPort", "'0'", "1..65535"],
    ),
    ("port 70000", "[FIX]\nsender=A\ntarget=B\nport=70000\n", ["key port", "'70000'", "1..65535"]),
    (
        "bad ConnectionType",
        BASE + "ConnectionType=server\n",
        ["key ConnectionType", "'server'", "initiator, acceptor"],
    ),
    ("bad bool", BASE + "ResetOnLogon=maybe\n", ["key ResetOnLogon", "'maybe'", "Y or N"]),
    (
        "alias conflict",
        "[FIX]\nsender=A\nSenderCompID=Z\ntarget=B\nport=1\n",
        ["line 3", "conflicts with sender", "keep one"],
    ),
    ("host/port alias conflict", BASE + "port=1234\n", ["key port", "conflicts with SocketConnectPort"]),
    ("duplicate key", BASE + "SenderCompID=C\n", ["line 5", "appears twice"]),
    (
        "duplicate section",
        "[DEFAULT]\nHeartBtInt=1\n[DEFAULT]\nHeartBtInt=2\n" + BASE,
        ["line 3", "[DEFAULT] appears twice"],
    ),
    (
        "unknown section",
        "[SESION]\nSenderCompID=A\n",
        ["line 1", "unknown section [SESION]", "did you mean [SESSION]"],
    ),
    ("key before section", "SenderCompID=A\n" + BASE, ["line 1", "before any section header"]),
    ("no session", "[DEFAULT]\nHeartBtInt=30\n", ["defines no session"]),
    (
        "initiator without port",
        "[SESSION]\nSenderCompID=A\nTargetCompID=B\n",
        ["[SESSION #1]", "SocketConnectPort"],
    ),
    (
        "acceptor without port",
        "[SESSION]\nSenderCompID=A\nTargetCompID=B\nConnectionType=acceptor\n",
        ["SocketAcceptPort"],
    ),
    ("StartTime alone", BASE + "StartTime=08:00:00\n", ["StartTime is set but EndTime is not"]),
    ("bad time", BASE + "StartTime=25:00\nEndTime=10:00\n", ["key StartTime", "HH:MM:SS"]),
    (
        "TLS acceptor without certificate",
        "[SESSION]\nSenderCompID=A\nTargetCompID=B\nConnectionType=acceptor\nSocketAcceptPort=1\nSocketUseSSL=Y\n",
        ["SSLCertificate and SSLPrivateKey"],
    ),
    ("FIXT without DefaultApplVerID", BASE + "BeginString=FIXT.1.1\n", ["DefaultApplVerID"]),
    (
        "failover gap",
        BASE + "SocketConnectHost2=h\nSocketConnectPort2=2\n",
        ["SocketConnectHost1 is missing"],
    ),
    ("failover host without port", BASE + "SocketConnectHost1=h\n", ["SocketConnectPort1 is missing"]),
    (
        "duplicate session id",
        BASE + BASE.replace("9876", "9877"),
        ["[SESSION #2]", "already defined by [SESSION #1]"],
    ),
    ("engine key in session", BASE + "UseUvloop=N\n", ["key UseUvloop", "put it in [DEFAULT]"]),
    ("session key in scheduler", BASE + "[Scheduler]\nHeartBtInt=5\n", ["[Scheduler]", "key HeartBtInt"]),
    (
        "bad schedules",
        BASE + '[Scheduler]\nschedules=[{"time": "8", "action": "start"}]\n',
        ["key schedules", "expected HH:MM"],
    ),
    ("ENC on a plain key", BASE + "Username=ENC:abc\n", ["key Username", "only secret keys"]),
    (
        "cap below interval",
        BASE + "ReconnectInterval=60\nReconnectMaxInterval=10\n",
        ["ReconnectMaxInterval (10 s) is below"],
    ),
    ("bad time zone", BASE + "TimeZone=Mars/Olympus\n", ["key TimeZone", "IANA"]),
]


@pytest.mark.parametrize(("text", "fragments"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_error_is_one_paragraph_naming_where_and_what(
    tmp_path: Path, text: str, fragments: list[str]
) -> None:
    path = tmp_path / "bad.ini"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        ConfigManager(path, environ={})
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    for fragment in fragments:
        assert fragment in message, message
    # no traceback from deep inside: the error is raised without a chained low-level exception shown
    assert caught.value.__cause__ is None or caught.value.__suppress_context__


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.ini: file not found"):
        ConfigManager(tmp_path / "nope.ini", environ={})


def test_from_dict_errors_name_the_section_and_key() -> None:
    with pytest.raises(
        ConfigError, match=r"from_dict \[SESSION #2\], section \[SESSION #2\], key HeartBtInt = '-1'"
    ):
        ConfigManager.from_dict(
            {
                "SESSION": [
                    {"SenderCompID": "A", "TargetCompID": "B", "SocketConnectPort": 1},
                    {"SenderCompID": "C", "TargetCompID": "B", "SocketConnectPort": 1, "HeartBtInt": -1},
                ]
            },
            environ={},
        )


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("[]=:#; \n\tabcSESIONFIXDEFAULT0123456789")), max_size=200))
def test_any_text_loads_or_raises_config_error_only(text: str) -> None:
    try:
        ConfigManager.from_string(text, "fuzz.ini", environ={})
    except ConfigError as exc:
        assert "\n" not in str(exc)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=-(10**6), max_value=10**6))
def test_port_accepted_exactly_in_tcp_range(port: int) -> None:
    text = f"[FIX]\nsender=A\ntarget=B\nport={port}\n"
    if 1 <= port <= 65535:
        assert ConfigManager.from_string(text, environ={}).sessions()[0].socket_connect_port == port
    else:
        with pytest.raises(ConfigError, match="key port"):
            ConfigManager.from_string(text, environ={})
