"""EnableNextExpectedMsgSeqNum end to end: our initiator and our acceptor over a loopback socket, with SQLite
stores. The acceptor's store holds fills the initiator never got (it restarts expecting a lower number); the
Logon exchange alone brings them back as PossDup resends, with no ResendRequest(2) from either side.
Every wait is bounded (a hung test fails instead of blocking CI)."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from engine_kit import Client, Executor, acceptor_config, free_port, initiator_config, order, run_bounded

from pyfixmsg_plus.config import ConfigManager
from pyfixmsg_plus.engine import FixEngine
from pyfixmsg_plus.engine.building import build_session_config

#: seconds any one wait for the engines may take before the test fails (a bound, not a timing assertion)
WAIT_S = 10.0
FILLS = 3


class AdminLog:
    """Mixin: the MsgType(35) of every admin message this side sends (toAdmin) and receives (fromAdmin)."""

    def __init__(self) -> None:
        super().__init__()
        self.admin_sent: list[str] = []
        self.admin_received: list[str] = []

    def toAdmin(self, message: Any, sessionID: Any) -> None:
        self.admin_sent.append(str(message[35]))

    def fromAdmin(self, message: Any, sessionID: Any) -> None:
        self.admin_received.append(str(message[35]))


class LoggingExecutor(AdminLog, Executor):
    """Fills every order, and logs admin traffic."""


class LoggingClient(AdminLog, Client):
    """Queues every application message received, and logs admin traffic."""


def test_missing_fills_come_back_as_possdup_resends_without_a_resend_request(tmp_path: Path) -> None:
    async def scenario() -> None:
        port = free_port()
        executor = LoggingExecutor()
        acceptor = await FixEngine.create(
            acceptor_config(port, ["CLIENT"], tmp_path / "acceptor.db", EnableNextExpectedMsgSeqNum="Y"), executor
        )
        executor.engine = acceptor
        await acceptor.open()
        client_store = tmp_path / "client.db"
        settings = {"EnableNextExpectedMsgSeqNum": "Y"}
        initiator = initiator_config(port, "CLIENT", client_store, **settings)
        async with await FixEngine.create(initiator, Client()) as first:
            assert await first.wait_logged_on(WAIT_S)
            for n in range(FILLS):
                await first.send_message(order(first, f"C{n}"))
            for _ in range(FILLS):
                await asyncio.wait_for(first.application.received.get(), WAIT_S)  # type: ignore[attr-defined]
        # the acceptor sent Logon 1, fills 2..4 and its Logout answer 5; the restarted initiator expects 2, as
        # if it had never received them
        client = LoggingClient()
        async with await FixEngine.create(
            initiator_config(port, "CLIENT", client_store, **settings), client, initial_incoming_seqnum=2
        ) as second:
            assert await second.wait_logged_on(WAIT_S)
            resent = [await asyncio.wait_for(client.received.get(), WAIT_S) for _ in range(FILLS)]
            assert [(m[35], m[11], m[34], m[43]) for m in resent] == [
                ("8", f"C{n}", str(2 + n), "Y") for n in range(FILLS)
            ]
            assert all(122 in m for m in resent)  # OrigSendingTime(122) on every PossDup resend
            # the Logout (5) was gap-filled; the next numbers meet: the acceptor's answer was Logon 6
            assert second.runner().session.next_target_seqnum == 7
            # a round trip after the recovery: every message in sequence, nothing asked again
            await second.send_message(order(second, "AFTER"))
            fill = await asyncio.wait_for(client.received.get(), WAIT_S)
            assert (fill[11], fill[34]) == ("AFTER", "7")
        # toAdmin is shown every admin message a side sends: no ResendRequest(2) either way
        assert client.admin_sent[0] == "A" and "2" not in client.admin_sent
        assert "A" in executor.admin_sent and "2" not in executor.admin_sent
        assert "2" not in executor.admin_received  # (a ResendRequest received would reach fromAdmin)
        await acceptor.disconnect()

    run_bounded(scenario())


@pytest.mark.parametrize("begin", ["FIX.4.2", "FIX.4.3"])
def test_the_setting_before_fix44_is_a_config_error_naming_session_and_key(begin: str) -> None:
    # the configuration refuses it (tests/config/test_fixt_keys.py); settings made in code meet create()'s guard
    config = ConfigManager.from_dict(
        {"DEFAULT": {"ConnectionType": "initiator", "SocketConnectHost": "127.0.0.1", "SocketConnectPort": 9,
                     "BeginString": begin},
         "SESSION": [{"SenderCompID": "US", "TargetCompID": "THEM"}]})  # fmt: skip
    [off] = config.sessions()
    settings = dataclasses.replace(off, enable_next_expected_msg_seq_num=True)
    with pytest.raises(ValueError, match=rf"session {begin}:US->THEM: EnableNextExpectedMsgSeqNum = Y needs"):
        build_session_config(settings)
    assert not build_session_config(off).enable_next_expected_msg_seq_num  # off: any version


@pytest.mark.parametrize(
    ("begin", "value", "expected"), [("FIX.4.4", "Y", True), ("FIXT.1.1", "Y", True), ("FIX.4.4", None, False)]
)
def test_the_key_reaches_the_session_config(begin: str, value: str | None, expected: bool) -> None:
    section: dict[str, Any] = {"ConnectionType": "acceptor", "SocketAcceptPort": 9, "BeginString": begin}
    if begin == "FIXT.1.1":
        section["DefaultApplVerID"] = "FIX.5.0SP2"
    if value is not None:
        section["EnableNextExpectedMsgSeqNum"] = value
    config = ConfigManager.from_dict({"DEFAULT": section, "SESSION": [{"SenderCompID": "US", "TargetCompID": "THEM"}]})
    [settings] = config.sessions()
    assert build_session_config(settings).enable_next_expected_msg_seq_num is expected
