"""Transport settings read from the configuration: write-buffer limits and SocketNodelay."""

from __future__ import annotations

import pytest

from pyfixmsg_plus.config import ConfigManager
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
