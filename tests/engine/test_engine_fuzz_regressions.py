"""Each engine-level failure the raw-socket fuzzer (test_engine_fuzz.py) found, as a plain example."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from engine_kit import acceptor_config, eventually, free_port, run_bounded
from test_engine_fuzz import EVENTUALLY_S, THEM, US, Recorder, logon, message, now_ts

from pyfixmsg_plus.engine import FixEngine
from tests.session.test_session_fuzz import frame_of


@pytest.mark.parametrize(("msg_type", "tag"), [(b"D", 58), (b"1", 112)])
def test_a_value_that_is_not_utf8_is_delivered_not_a_disconnect(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, msg_type: bytes, tag: int
) -> None:
    """Text(58) or TestReqID(112) = b"caf\\xe9 \\xfa" used to raise UnicodeDecodeError while the message
    (accepted and stored) was decoded for the application: an ERROR traceback, the connection aborted and the
    message never delivered. It is now delivered decoded as latin-1, with a warning naming the field, and the
    session stays logged on."""
    caplog.set_level(logging.WARNING)
    seen: list[str] = []

    class Texts(Recorder):
        def fromApp(self, message: object, sessionID: object) -> None:
            seen.append(message[tag])  # type: ignore[index]

        def fromAdmin(self, message: object, sessionID: object) -> None:
            if message.get(35) == "1":  # type: ignore[attr-defined]
                seen.append(message[tag])  # type: ignore[index]

    async def scenario() -> None:
        port = free_port()
        app = Texts()
        acceptor = await FixEngine.create(acceptor_config(port, [THEM], sender=US), app)
        await acceptor.open()
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(frame_of(b"FIX.4.4", logon()))
            assert await eventually(lambda: app.logons == 1, EVENTUALLY_S)
            body = [(11, b"C1"), (21, b"1"), (55, b"X"), (54, b"1"), (60, now_ts()), (38, b"1"), (40, b"1")]
            fields = message(msg_type, 2, [*(body if msg_type == b"D" else []), (tag, b"caf\xe9 \xfa")])
            writer.write(frame_of(b"FIX.4.4", fields))
            assert await eventually(lambda: len(seen) == 1, EVENTUALLY_S)
            runner = next(iter(acceptor.runners.values()))
            assert runner.session.state.name == "ACTIVE" and runner.session.next_target_seqnum == 3
            writer.close()
        finally:
            await acceptor.disconnect()

    run_bounded(scenario(), timeout=30)
    assert seen == ["caf\xe9 \xfa"]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    name = {58: "Text", 112: "TestReqID"}[tag]
    assert any(f"{name}({tag})='café ú' is not utf-8" in r.getMessage() for r in caplog.records)
