"""Random and mutated frames over a raw socket to a loopback acceptor, before and after Logon.

Nothing the counterparty sends may end in an unhandled exception: no "Task exception was never retrieved", no
ERROR log from the receive path, and the acceptor still serves a fresh valid client afterwards. The rounds
are drawn from a fixed seed (reproducible); ``PYFIXMSG_PLUS_FUZZ_ROUNDS`` raises their number for a deeper run.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import random
from pathlib import Path
from typing import Any

import pytest
from engine_kit import Client, acceptor_config, eventually, free_port, initiator_config, order, run_bounded

from pyfixmsg_plus.application import Application
from pyfixmsg_plus.engine import FixEngine
from pyfixmsg_plus.message.encoder import format_utc_timestamp
from tests.session.test_session_fuzz import ADMIN_TAGS, NASTY_VALUES, Field, frame_of

#: connections opened by the fuzzing client (each with up to a few hundred frames)
ROUNDS = int(os.environ.get("PYFIXMSG_PLUS_FUZZ_ROUNDS", "80"))
US, THEM = "EXEC", "FUZZ"
#: what the acceptor may take to notice a closed connection and free the session for the next one (s)
RELEASE_WAIT_S = 5.0


def now_ts() -> bytes:
    import time

    return format_utc_timestamp(time.time_ns(), "ms")


def message(msg_type: bytes, seqnum: int, body: list[Field]) -> list[Field]:
    return [(35, msg_type), (34, b"%d" % seqnum), (49, THEM.encode()), (52, now_ts()), (56, US.encode()), *body]


def logon(seqnum: int = 1) -> list[Field]:
    return message(b"A", seqnum, [(98, b"0"), (108, b"30"), (141, b"Y")])


def valid_messages(seqnum: int) -> list[list[Field]]:
    """Valid messages a logged-on counterparty might send, numbered ``seqnum``."""
    order_body = [(11, b"C1"), (21, b"1"), (55, b"EUR/USD"), (54, b"1"), (60, now_ts()), (38, b"100"), (40, b"1")]
    return [
        message(b"0", seqnum, []),
        message(b"1", seqnum, [(112, b"T")]),
        message(b"2", seqnum, [(7, b"1"), (16, b"0")]),
        message(b"4", seqnum, [(123, b"Y"), (36, b"%d" % (seqnum + 2))]),
        message(b"4", seqnum, [(36, b"%d" % (seqnum + 2))]),
        message(b"D", seqnum, order_body),
        message(b"3", seqnum, [(45, b"1"), (373, b"1")]),
        message(b"A", seqnum, [(98, b"0"), (108, b"30")]),
        message(b"D", seqnum, [(43, b"Y"), (122, now_ts()), *order_body]),
    ]


def mutate(rng: random.Random, fields: list[Field]) -> list[Field]:
    """Values replaced, fields duplicated, dropped, moved or added (BodyLength and CheckSum stay right)."""
    fields = list(fields)
    for _ in range(rng.randint(0, 4)):
        at = rng.randrange(len(fields)) if fields else 0
        op = rng.choice(["replace", "duplicate", "drop", "move", "add"]) if fields else "add"
        noise = rng.randbytes(rng.randint(0, 8)).replace(b"\x01", b"")
        value = rng.choice(NASTY_VALUES) if rng.random() < 0.8 else noise
        if op == "replace":
            fields[at] = (fields[at][0], value)
        elif op == "duplicate":
            fields.insert(rng.randint(0, len(fields)), (fields[at][0], value))
        elif op == "drop":
            del fields[at]
        elif op == "move":
            fields.insert(rng.randint(0, len(fields) - 1), fields.pop(at))
        else:
            fields.insert(rng.randint(0, len(fields)), (rng.choice(ADMIN_TAGS), value))
    return fields


def garble(rng: random.Random, frame: bytes) -> bytes:
    """Bytes flipped or cut: what a broken peer or line writes (the framer must resynchronise)."""
    raw = bytearray(frame)
    for _ in range(rng.randint(1, 3)):
        raw[rng.randrange(len(raw))] = rng.randrange(256)
    if rng.random() < 0.3:
        del raw[rng.randrange(len(raw)) :]
    return bytes(raw)


def round_stream(rng: random.Random, log_on: bool) -> bytes:
    """One connection's bytes: an optional valid Logon, then mutated, garbled and random frames."""
    pieces = [frame_of(b"FIX.4.4", logon())] if log_on else []
    seqnum = 2
    for _ in range(rng.randint(1, 12)):
        kind = rng.random()
        fields = rng.choice(valid_messages(seqnum if rng.random() < 0.7 else rng.randint(1, seqnum + 5)))
        if kind < 0.5:
            pieces.append(frame_of(b"FIX.4.4", mutate(rng, fields)))
        elif kind < 0.75:
            pieces.append(garble(rng, frame_of(b"FIX.4.4", fields)))
        elif kind < 0.85:
            pieces.append(rng.randbytes(rng.randint(1, 200)))
        else:
            pieces.append(frame_of(rng.choice([b"FIX.4.2", b"FIXT.1.1", b"FIX.4.4"]), fields))
        seqnum += 1
    return b"".join(pieces)


async def play_round(port: int, stream: bytes, rng: random.Random) -> None:
    """Write ``stream`` in random pieces, read whatever comes back, close."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        at = 0
        while at < len(stream):
            step = rng.randint(1, 600)
            writer.write(stream[at : at + step])
            at += step
            if rng.random() < 0.3:
                await writer.drain()
                await asyncio.sleep(0)
        await writer.drain()
        with contextlib.suppress(TimeoutError, ConnectionError):
            await asyncio.wait_for(reader.read(1 << 16), 0.05)
    except ConnectionError:
        pass  # the acceptor closed first (a refused Logon, a Logout): what it may do
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def released(acceptor: FixEngine) -> bool:
    """Wait until the acceptor's session is disconnected again (a new connection is then accepted)."""
    runner = next(iter(acceptor.runners.values()))
    return await eventually(lambda: runner.session.state.name == "DISCONNECTED", RELEASE_WAIT_S)


class Recorder(Application):
    """Notes the ClOrdID(11) of every application message received (and answers nothing: an answer sent
    while the fuzzer's Logout is under way would be the application's error, not the engine's)."""

    def __init__(self) -> None:
        super().__init__()
        self.logons = 0
        self.orders: list[str] = []

    def onLogon(self, sessionID: Any) -> None:
        self.logons += 1

    def fromApp(self, message: Any, sessionID: Any) -> None:
        self.orders.append(str(message.get(11)))


#: how long the fuzz tests wait for a condition (seconds)
EVENTUALLY_S = 5.0


def unexpected_errors(records: list[logging.LogRecord]) -> list[str]:
    """ERROR logs: an exception out of our code (a Receiver or the session) or a task nobody awaited."""
    return [f"{r.name}: {r.getMessage()}" for r in records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    ("seed", "per_frame", "dictionary"), [(1, False, "Y"), (2, True, "N"), (3, False, "N")]
)
def test_acceptor_survives_random_and_mutated_frames(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, seed: int, per_frame: bool, dictionary: str
) -> None:
    """``per_frame``: the engine feeds the session one frame at a time (receive_index over restricted spans);
    ``dictionary``: UseDataDictionary (without it, values the dictionary would refuse reach the application)."""
    caplog.set_level(logging.ERROR)
    loop_errors: list[dict[str, Any]] = []

    async def scenario() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda _loop, context: loop_errors.append(context))
        rng = random.Random(seed)
        port = free_port()
        recorder = Recorder()
        config = acceptor_config(port, [THEM], sender=US, UseDataDictionary=dictionary)
        acceptor = await FixEngine.create(config, recorder, deliver_per_frame=per_frame)
        await acceptor.open()
        try:
            for n in range(ROUNDS):
                await play_round(port, round_stream(rng, log_on=n % 3 != 0), rng)
                assert await released(acceptor), f"round {n}: the session was not released"
            assert recorder.logons > 0  # the fuzz reached the logged-on session, not only the Logon check
            gc.collect()  # a task failed and never awaited is reported when collected
            await asyncio.sleep(0)
            client = Client()
            async with await FixEngine.create(initiator_config(port, THEM, target=US, ResetOnLogon="Y"),
                                              client) as engine:  # fmt: skip
                assert await engine.wait_logged_on(5)
                assert await engine.send_message(order(engine, "AFTER"))
                assert await eventually(lambda: "AFTER" in recorder.orders, EVENTUALLY_S)
        finally:
            await acceptor.disconnect()

    run_bounded(scenario(), timeout=60)
    assert loop_errors == []
    assert unexpected_errors(caplog.records) == []
