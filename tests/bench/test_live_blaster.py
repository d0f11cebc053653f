"""The inbound blaster (pyfixmsg_plus.bench.live.blaster): what it sends, against our acceptor and against scripted
counterparties, and how it fails. No timing assertions; every wait is bounded."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyfixmsg_plus import _impl
from pyfixmsg_plus.application import Application
from pyfixmsg_plus.bench.live import QUICKFIX
from pyfixmsg_plus.bench.live.blaster import (
    BlastError,
    BlastSummary,
    encode_refreshes,
    field_value,
    join_in_chunks,
    run_blaster,
    start_blaster,
)
from pyfixmsg_plus.bench.live.engines import (
    MEMORY,
    OURS,
    QUICKFIX_SIDE,
    BatchCountingApplication,
    InboundVariant,
    acceptor_config,
    in_thread,
)
from pyfixmsg_plus.bench.live.inbound import free_port, run_inbound
from pyfixmsg_plus.bench.live.rawfix import build_frame
from pyfixmsg_plus.bench.live.results import QUICKFIX_PYTHON

BLAST = 500
WAIT_S = 60.0  # bound of every blast in this file, seconds


def frames_of(data: bytes) -> list[bytes]:
    index = _impl.load("framing").split_frames(data)
    assert index.valid.all(), index.errors()
    return [index.frame(i) for i in range(len(index))]


# ------------------------------------------------------------------------------------------------- encoding


def test_refreshes_are_numbered_from_2_dated_now_and_carry_1_to_5_entries() -> None:
    before = datetime.now(UTC).strftime("%Y%m%d-%H:%M:%S")
    frames = encode_refreshes(200, "S", "T")
    assert frames_of(b"".join(frames)) == frames  # each one verifies (BodyLength, CheckSum) on its own
    assert [int(field_value(f, 34) or 0) for f in frames] == list(range(2, 202))
    assert {field_value(f, 35) for f in frames} == {"X"}
    assert {(field_value(f, 49), field_value(f, 56)) for f in frames} == {("S", "T")}
    assert all((field_value(f, 52) or "") >= before for f in frames)  # SendingTime(52) of the encoding moment
    entries = {int(field_value(f, 268) or 0) for f in frames}
    assert entries <= set(range(1, 6)) and len(entries) > 1


@settings(max_examples=30, deadline=None)
@given(sizes=st.lists(st.integers(min_value=30, max_value=400), max_size=40),
       chunk=st.integers(min_value=1, max_value=3000))  # fmt: skip
def test_chunks_hold_every_frame_in_order_and_end_on_frame_boundaries(sizes: list[int], chunk: int) -> None:
    frames = [b"8=FIX.4.4\x01" + b"x" * size for size in sizes]
    chunks = join_in_chunks(frames, chunk)
    assert b"".join(c.data for c in chunks) == b"".join(frames)
    assert sum(c.frames for c in chunks) == len(frames)
    assert all(c.data.startswith(b"8=FIX") and c.frames >= 1 for c in chunks)
    # about chunk bytes each: below it only by less than one frame, except the last chunk
    assert all(len(c.data) >= chunk for c in chunks[:-1])
    assert all(len(c.data) < chunk + max(sizes) + 10 for c in chunks)


def test_admin_frames_have_the_standard_header_in_quickfix_order() -> None:
    frame = build_frame("A", 1, "S", "T", [(98, "0"), (108, "30"), (141, "Y")])
    assert frames_of(frame) == [frame]
    tags = [int(field.split(b"=")[0]) for field in frame.split(b"\x01")[:-1]]
    assert tags == [8, 9, 35, 34, 49, 52, 56, 98, 108, 141, 10]


def test_summary_round_trips_through_its_json_line() -> None:
    summary = BlastSummary(sent=3, write_seconds=0.5, blast_seconds=0.75, received={"A": 1}, errors=["x"])
    assert BlastSummary.from_json(summary.to_json()) == summary
    assert not summary.ok


# ------------------------------------------------------------------------------------------------- our acceptor


class SequenceRecordingApplication(Application):
    """Notes MsgSeqNum(34) of every MarketDataIncrementalRefresh delivered by fromApp, and logons/logouts."""

    def __init__(self) -> None:
        super().__init__()
        self.seqnums: list[int] = []
        self.logons = 0
        self.logouts = 0

    def onLogon(self, sessionID: Any) -> None:
        self.logons += 1

    def onLogout(self, sessionID: Any) -> None:
        self.logouts += 1

    def fromApp(self, message: Any, sessionID: Any) -> None:
        if str(message.get(35)) == "X":
            self.seqnums.append(int(message.get(34)))


async def blast_our_acceptor(app: Application, count: int, tmp_path: Path) -> BlastSummary:
    from pyfixmsg_plus.engine import FixEngine

    port = free_port()
    engine = await FixEngine.create(acceptor_config(port, MEMORY, tmp_path), app)
    await engine.open()
    try:
        blaster = start_blaster(port, QUICKFIX_SIDE, OURS, count)
        return await asyncio.wait_for(in_thread(blaster.wait, WAIT_S), WAIT_S + 5)
    finally:
        await engine.disconnect()


def test_our_acceptor_receives_every_refresh_in_sequence_and_logs_out(tmp_path: Path) -> None:
    app = SequenceRecordingApplication()
    summary = asyncio.run(blast_our_acceptor(app, BLAST, tmp_path))
    assert summary.ok, summary.errors
    assert app.seqnums == list(range(2, BLAST + 2))
    assert (summary.sent, summary.received, summary.logon_answer_seqnum) == (BLAST, {"A": 1, "5": 1}, 1)
    assert (app.logons, app.logouts) == (1, 1)
    assert summary.blast_seconds is not None and summary.blast_seconds >= summary.write_seconds > 0


def test_on_batch_application_counts_whole_batches_in_sequence(tmp_path: Path) -> None:
    seen: list[int] = []

    class Recording(BatchCountingApplication):
        def onBatch(self, batch: Any, sessionID: Any) -> None:
            seen.extend(int(n) for n in batch.seqnums)
            super().onBatch(batch, sessionID)

    app = Recording("X", BLAST)
    summary = asyncio.run(blast_our_acceptor(app, BLAST, tmp_path))
    assert summary.ok, summary.errors
    assert seen == list(range(2, BLAST + 2))
    assert app.count == BLAST and app.done.is_set()
    assert 1 <= app.batches <= BLAST and 1 <= app.first_batch <= BLAST


def test_inbound_rows_run_without_the_quickfix_peer(no_peer: Path, no_binding: Path) -> None:
    rows = run_inbound(300, stores=(InboundVariant(MEMORY, on_batch=True), MEMORY))
    assert [row.implementation for row in rows] == [
        QUICKFIX,
        QUICKFIX_PYTHON,
        "pyfixmsg-plus acceptor, memory store, onBatch",
        "pyfixmsg-plus acceptor, memory store",
    ]
    assert "peer harness not found" in rows[0].unavailable and str(no_binding) in rows[1].unavailable
    rows = rows[1:]
    for row in rows[1:]:
        assert (row.messages, row.details["peer_md_sent"]) == (300, 300)
        # the figure runs from the first write to the Logout answer: never shorter than the receiver's own span
        assert row.seconds >= row.details["receiver_first_to_last_s"] >= 0 and row.seconds > 0
    assert 1 <= rows[1].details["first_batch"] <= 300


# ------------------------------------------------------------------------------------------------- scripted peers


class ScriptedAcceptor:
    """A one-connection TCP listener on 127.0.0.1 that answers frames as ``answer(frame) -> bytes`` says and
    keeps every frame received (in ``frames``) until the client hangs up."""

    def __init__(self, answer: Callable[[bytes], bytes]) -> None:
        self.answer = answer
        self.frames: list[bytes] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(WAIT_S)
        self.port = int(self._listener.getsockname()[1])
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        framer = _impl.load("framing").Framer()
        conn, _ = self._listener.accept()
        with conn:
            conn.settimeout(WAIT_S)
            while data := conn.recv(65536):
                index = framer.feed(data)
                for i in range(len(index)):
                    frame = index.frame(i)
                    self.frames.append(frame)
                    reply = self.answer(frame)
                    if reply:
                        conn.sendall(reply)

    def close(self) -> None:
        self._thread.join(timeout=WAIT_S)
        self._listener.close()

    def msg_types(self) -> list[str]:
        return [field_value(f, 35) or "" for f in self.frames]


def answering(logon: bool = True, logout: bool = True, test_request_after_logon: bool = False) -> Callable[..., bytes]:
    """A script for ScriptedAcceptor: which of the blaster's admin messages get an answer."""
    seqnum = iter(range(1, 1000))

    def answer(frame: bytes) -> bytes:
        msg_type = field_value(frame, 35)
        if msg_type == "A" and logon:
            reply = build_frame("A", next(seqnum), "ACC", "BLA", [(98, "0"), (108, "30"), (141, "Y")])
            if test_request_after_logon:
                reply += build_frame("1", next(seqnum), "ACC", "BLA", [(112, "are-you-there")])
            return reply
        if msg_type == "5" and logout:
            return build_frame("5", next(seqnum), "ACC", "BLA")
        return b""

    return answer


@pytest.fixture
def scripted() -> Iterator[Callable[..., ScriptedAcceptor]]:
    made: list[ScriptedAcceptor] = []

    def make(**script: bool) -> ScriptedAcceptor:
        made.append(ScriptedAcceptor(answering(**script)))
        return made[-1]

    yield make
    for acceptor in made:
        acceptor.close()


def test_a_test_request_is_answered_with_its_id_before_the_logout(scripted: Callable[..., ScriptedAcceptor]) -> None:
    acceptor = scripted(test_request_after_logon=True)
    summary = run_blaster(acceptor.port, "BLA", "ACC", 50, timeout_s=WAIT_S)
    assert summary.ok and summary.received == {"A": 1, "1": 1, "5": 1}
    acceptor.close()
    assert acceptor.msg_types() == ["A"] + ["X"] * 50 + ["0", "5"]
    heartbeat, logout = acceptor.frames[-2:]
    assert field_value(heartbeat, 112) == "are-you-there"  # TestReqID(112) echoed
    assert [field_value(f, 34) for f in (heartbeat, logout)] == ["52", "53"]  # after the refreshes' 2..51


def test_no_logon_answer_fails_after_the_logon_timeout(scripted: Callable[..., ScriptedAcceptor]) -> None:
    acceptor = scripted(logon=False)
    with pytest.raises(BlastError, match=r"no Logon answer within logon timeout 0\.3 s"):
        run_blaster(acceptor.port, "BLA", "ACC", 10, timeout_s=WAIT_S, logon_timeout_s=0.3)
    assert acceptor.msg_types() == ["A"]  # nothing blasted without a Logon answer


def test_no_logout_answer_is_an_error_but_the_refreshes_count(scripted: Callable[..., ScriptedAcceptor]) -> None:
    acceptor = scripted(logout=False)
    summary = run_blaster(acceptor.port, "BLA", "ACC", 20, timeout_s=WAIT_S, check=False, logout_timeout_s=0.3)
    assert summary.sent == 20 and summary.blast_seconds is None
    assert summary.errors == ["no Logout answer within logout timeout 0.3 s"]


def test_no_listener_exits_non_zero_with_a_clear_message() -> None:
    port = free_port()  # nobody listens there any more
    command = [sys.executable, "-m", "pyfixmsg_plus.bench.live.blaster", "--port", str(port),
               "--sender", "S", "--target", "T", "--count", "5"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=WAIT_S, check=False,
                          cwd=Path(__file__).resolve().parents[2])  # fmt: skip
    assert done.returncode == 1
    assert f"connecting to 127.0.0.1:{port} failed" in done.stderr and "is the acceptor listening?" in done.stderr
    summary = BlastSummary.from_json(done.stdout.strip())
    assert summary.sent == 0 and len(summary.errors) == 1
    with pytest.raises(BlastError, match=f"blaster to port {port} failed .*connecting to 127.0.0.1:{port} failed"):
        run_blaster(port, "S", "T", 5, timeout_s=WAIT_S)


def test_bad_arguments_exit_with_the_usage_error() -> None:
    command = [sys.executable, "-m", "pyfixmsg_plus.bench.live.blaster", "--port", "1",
               "--sender", "S", "--target", "T", "--count", "-1"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=WAIT_S, check=False,
                          cwd=Path(__file__).resolve().parents[2])  # fmt: skip
    assert done.returncode == 2 and "--count -1 must be >= 0" in done.stderr
