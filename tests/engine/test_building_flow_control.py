"""Transport settings read from the configuration: write-buffer limits and SocketNodelay."""

from __future__ import annotations

import pytest

from pyfixmsg_plus.config import ConfigError, ConfigManager
from pyfixmsg_plus.engine.building import build_flow_control


@pytest.mark.parametrize(("nodelay", "expected"), [("Y", True), ("N", False)])
def test_socket_nodelay_reaches_the_flow_control(nodelay: str, expected: bool) -> None:
    config = ConfigManager.from_dict({
        "DEFAULT": {"ConnectionType": "initiator", "SocketConnectHost": "127.0.0.1", "SocketConnectPort": 9000,
                    "SocketNodelay": nodelay, "MaxWriteBufferBytes": 65536},
        "SESSION": [{"SenderCompID": "A", "TargetCompID": "B"}],
    })  # fmt: skip
    [settings] = config.sessions()
    flow = build_flow_control(settings)
    assert flow.nodelay is expected
    assert flow.max_buffer in (65536, 4 * 65536)


def settings_with(**keys: object) -> object:
    config = ConfigManager.from_dict({
        "DEFAULT": {"ConnectionType": "initiator", "SocketConnectHost": "127.0.0.1", "SocketConnectPort": 9000,
                    **keys},
        "SESSION": [{"SenderCompID": "A", "TargetCompID": "B"}],
    })  # fmt: skip
    [settings] = config.sessions()
    return settings


@pytest.mark.parametrize("action", ["pause", "disconnect"])
def test_read_bytes_per_turn_reaches_the_flow_control(action: str) -> None:
    settings = settings_with(ReadBytesPerTurn=65536, SlowConsumerAction=action)
    assert build_flow_control(settings).read_bytes_per_turn == 65536  # type: ignore[arg-type]
    default = settings_with(SlowConsumerAction=action)
    assert build_flow_control(default).read_bytes_per_turn == 512 * 1024  # type: ignore[arg-type]


def test_a_read_budget_under_4_kib_is_refused_naming_the_key() -> None:
    with pytest.raises(ConfigError, match="ReadBytesPerTurn"):
        settings_with(ReadBytesPerTurn=100)
