"""MockCounterparty: scripted expectations and replies, over loopback TCP and sans-I/O; readable failures."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any

import pytest

from pyfixmsg_plus.config import ConfigManager
from pyfixmsg_plus.engine import FixEngine
from pyfixmsg_plus.message.codec import Codec
from pyfixmsg_plus.message.dictionary import load_builtin
from pyfixmsg_plus.session import Role, SendFrame, Session, SessionConfig
from pyfixmsg_plus.session.inbound import parse_pairs
from pyfixmsg_plus.testing import MessageFactory, MockCounterparty, RecordingApplication, fill_for

FACTORY = MessageFactory("FIX.4.4", sender="CLIENT", target="EXEC")


def news(headline: str) -> dict[int, Any]:
    """A News (35=B) message: Headline(148) and one LinesOfText(33) entry, both required in FIX 4.4."""
    return {35: "B", 148: headline, 33: [{58: "text"}]}


def run(coro: Coroutine[Any, Any, Any], timeout: float = 30.0) -> Any:
    return asyncio.run(asyncio.wait_for(coro, timeout))


def client_config(port: int) -> ConfigManager:
    return ConfigManager.from_dict({
        "DEFAULT": {"ConnectionType": "initiator", "SocketConnectHost": "127.0.0.1", "SocketConnectPort": port,
                    "StoreType": "memory", "ReconnectInterval": 0.1},
        "SESSION": [{"SenderCompID": "CLIENT", "TargetCompID": "EXEC"}],
    })  # fmt: skip


# ---------------------------------------------------------------- the script alone


def test_ordered_script_matches_and_replies() -> None:
    mock = MockCounterparty()
    mock.expect("D", {55: "EUR/USD"}).reply(lambda o: fill_for(o, 1), news("filled"))
    mock.expect("F")
    replies = mock.handle(FACTORY.build("D", {11: "A", 55: "EUR/USD"}))
    assert [r[35] for r in replies] == ["8", "B"] and replies[0][11] == "A"
    assert mock.pending and not mock.done
    assert mock.handle(FACTORY.build("F")) == []
    assert mock.done
    mock.verify()


def test_mismatch_report_shows_the_differing_fields() -> None:
    mock = MockCounterparty()
    mock.expect("D", {55: "EUR/USD", 54: "1"})
    mock.handle(FACTORY.build("D", {55: "USD/JPY", 54: "1"}))
    with pytest.raises(AssertionError) as failure:
        mock.verify()
    report = str(failure.value)
    assert report.splitlines()[0] == "mock counterparty: 1 expectation(s) not met, 1 unexpected message(s)"
    assert "not met: 35=D with 55=EUR/USD, 54=1" in report
    assert any(line.split() == ["55", "Symbol", "EUR/USD", "USD/JPY"] for line in report.splitlines())


def test_unordered_script_matches_any_pending_expectation() -> None:
    mock = MockCounterparty(ordered=False)
    mock.expect("D")
    mock.expect("F")
    mock.handle(FACTORY.build("F"))
    mock.handle(FACTORY.build("D"))
    mock.verify()


def test_a_message_when_nothing_is_expected_is_unexpected() -> None:
    mock = MockCounterparty()
    mock.handle(FACTORY.build("D"))
    with pytest.raises(AssertionError, match="no expectation was pending"):
        mock.verify()


# ---------------------------------------------------------------- over loopback


def test_served_script_answers_an_engine_and_sends_on_logon() -> None:
    async def scenario() -> None:
        mock = MockCounterparty()
        mock.send_on_logon(news("welcome"))
        mock.expect("D", {11: "X1"}).reply(lambda o: fill_for(o, 1))
        async with mock.serve(sender="EXEC", target="CLIENT") as server:
            client = RecordingApplication()
            async with await FixEngine.create(client_config(server.port), client) as engine:
                assert await engine.wait_logged_on(5)
                assert (await client.next_message("B"))[148] == "welcome"
                await engine.send_message(engine.fixmsg({35: "D", 11: "X1", 21: "1", 55: "EUR/USD", 54: "1",
                                                         38: 10, 40: "1", 60: "20240603-12:00:00"}))  # fmt: skip
                await mock.wait_done(timeout=5)
                report = await client.next_message("8")
                assert (report[11], report[39]) == ("X1", "2")

    run(scenario())


def test_wait_done_fails_with_the_report_when_nothing_comes() -> None:
    async def scenario() -> None:
        mock = MockCounterparty()
        mock.expect("F")
        with pytest.raises(AssertionError, match="not met: 35=F"):
            await mock.wait_done(timeout=0.1)

    run(scenario())


# ---------------------------------------------------------------- sans-I/O


class SansIOClient:
    """The code under test in the sans-I/O tests: an initiator session driven by hand."""

    def __init__(self) -> None:
        self.codec = Codec(spec=load_builtin("FIX.4.4"))
        self.session = Session(SessionConfig("FIX.4.4", "CLIENT", "EXEC", role=Role.INITIATOR, heartbeat_interval=30))

    @staticmethod
    def frames(outputs: list[Any]) -> bytes:
        return b"".join(o.frame for o in outputs if isinstance(o, SendFrame))


def msg_types(data: bytes) -> list[str]:
    return [value.decode() for tag, value in parse_pairs(data) if tag == 35] if data else []


def test_sans_io_logon_reply_and_heartbeat() -> None:
    now = time.time()
    mock = MockCounterparty()
    mock.expect("D", {11: "S1"}).reply(lambda o: fill_for(o, 1))
    counterparty = mock.sans_io(sender="EXEC", target="CLIENT")
    client = SansIOClient()
    logon = client.frames(client.session.start(now) + client.session.connection_made(now))
    answer = counterparty.feed(logon, now)
    assert msg_types(answer) == ["A"]
    client.session.receive_data(answer, now)
    assert client.session.is_logged_on
    order = client.frames(client.session.send("D", [(11, "S1"), (21, "1"), (55, "EUR/USD"), (54, "1"),
                                                    (60, "20240603-12:00:00"), (38, "5"), (40, "1")], now))  # fmt: skip
    assert msg_types(counterparty.feed(order, now)) == ["8"]
    mock.verify()
    assert msg_types(counterparty.tick(now + 31)) == ["0"]  # 30 s of send silence: Heartbeat(0)


def test_sans_io_answers_a_resend_request_with_replays() -> None:
    now = time.time()
    mock = MockCounterparty().send_on_logon(news("one"), news("two"))
    counterparty = mock.sans_io(sender="EXEC", target="CLIENT")
    client = SansIOClient()
    answer = counterparty.feed(client.frames(client.session.start(now) + client.session.connection_made(now)), now)
    assert msg_types(answer) == ["A", "B", "B"]
    assert sorted(counterparty.sent) == [1, 2, 3]
    resend = FACTORY.encode(FACTORY.build("2", {7: 2, 16: 0, 34: 2}))  # after the client's Logon (34=1)
    replay = counterparty.feed(resend, now)
    pairs = parse_pairs(replay)
    assert [v for t, v in pairs if t == 148] == [b"one", b"two"]
    assert [v for t, v in pairs if t == 43] == [b"Y", b"Y"]  # PossDupFlag on both replays
