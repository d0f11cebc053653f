"""EventLinePeer, the base of the QuickFIX peers, against small Python child processes (no QuickFIX needed)."""

from __future__ import annotations

import asyncio
import sys
import textwrap
import time

import pytest

from pyfixmsg_plus.testing.peer_process import (
    EventLinePeer,
    PeerError,
    PeerTimeoutError,
    free_port,
)

PREFIX = "EVT "
#: a child that reports "started", then one "tick" per 50 ms until SIGTERM, then its summary. Each line goes out in
#: one write and the handler only sets a flag: a summary printed from the handler could land inside a tick line
#: cut between print's two writes, and that line would not parse (a CI failure showed it).
TICKER = """
import json, signal, sys, time
def say(**event): sys.stdout.write("EVT " + json.dumps(event) + "\\n")
stopping = []
signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
sys.stdout.write("some line that is not an event\\n")
say(event="started")
n = 0
while not stopping:
    n += 1
    say(event="tick", n=n)
    time.sleep(0.05)
say(event="summary", ticks=n)
"""


class ScriptPeer(EventLinePeer):
    """A child running ``script`` with this interpreter."""

    def __init__(self, script: str, *, ready_event: str | None = "started", stop_grace_s: float = 5.0) -> None:
        super().__init__(PREFIX, stop_grace_s=stop_grace_s)
        self.script = textwrap.dedent(script)
        self.ready_event = ready_event
        self.ready_timeout_s = 10.0
        self.launches = 0
        self.retries_allowed = 0

    @property
    def command(self) -> list[str]:
        return [sys.executable, "-u", "-c", self.script]

    def describe(self) -> str:
        return "script peer"

    def _before_launch(self) -> None:
        self.launches += 1

    def _retry_start(self) -> bool:
        self.retries_allowed -= 1
        return self.retries_allowed >= 0


def test_events_are_parsed_and_other_lines_kept_in_the_output() -> None:
    with ScriptPeer(TICKER) as peer:
        third = peer.wait_for("tick", count=3, timeout_s=10)
        assert third["n"] == 3
        assert peer.events("started") == [{"event": "started"}]
        assert "some line that is not an event" in peer.output
        assert peer.returncode is None
    assert peer.summary is not None and peer.summary["ticks"] >= 3
    assert peer.returncode == 0


def test_wait_for_takes_a_predicate() -> None:
    with ScriptPeer(TICKER) as peer:
        found = peer.wait_for(lambda e: e.get("n", 0) >= 4, timeout_s=10)
        assert found["n"] == 4


def test_a_missing_event_times_out_naming_it_and_the_last_lines() -> None:
    with ScriptPeer(TICKER) as peer:
        # a tick line is in hand before the short wait starts: the message must show it even when the child is
        # slow to write its first tick (a busy machine)
        peer.wait_for("tick", timeout_s=10)
        started = time.monotonic()
        with pytest.raises(PeerTimeoutError) as raised:
            peer.wait_for("logon", timeout_s=0.5)
        assert time.monotonic() - started >= 0.5
    message = str(raised.value)
    assert "script peer reported 0 'logon' event(s), expected 1, within 0.5 s" in message
    assert 'EVT {"event": "tick"' in message  # the last lines seen
    assert isinstance(raised.value, TimeoutError) and isinstance(raised.value, PeerError)


def test_a_predicate_is_named_by_what() -> None:
    with ScriptPeer(TICKER) as peer, pytest.raises(PeerTimeoutError, match="a tick past 10000"):
        peer.wait_for(lambda e: e.get("n", 0) > 10_000, timeout_s=0.3, what="a tick past 10000")


def test_an_exit_before_the_event_is_reported_at_once_with_the_exit_code() -> None:
    peer = ScriptPeer("import sys; print('EVT {\"event\": \"started\"}'); print('dying'); sys.exit(3)")
    with peer:
        started = time.monotonic()
        with pytest.raises(PeerError, match=r"exited \(code 3\) first") as raised:
            peer.wait_for("logon", timeout_s=30)
        assert time.monotonic() - started < 15
    assert not isinstance(raised.value, TimeoutError)
    assert "dying" in str(raised.value)


def test_a_peer_that_never_gets_ready_is_killed_and_named() -> None:
    peer = ScriptPeer("import time; print('waiting'); time.sleep(60)")
    # long enough for the interpreter to start and print 'waiting' on a busy machine (0.5 s could be too short)
    peer.ready_timeout_s = 2.0
    with pytest.raises(PeerError, match=r"script peer did not report 'started' within 2.0 s") as raised:
        peer.start()
    assert "waiting" in str(raised.value)
    assert peer.returncode is not None  # killed, not left behind


def test_start_retries_as_often_as_the_subclass_allows() -> None:
    peer = ScriptPeer("import sys; sys.exit(1)")
    peer.retries_allowed = 1
    with pytest.raises(PeerError):
        peer.start()
    assert peer.launches == 2
    peer.launches, peer.retries_allowed = 0, 10
    with pytest.raises(PeerError):
        peer.start()
    assert peer.launches == 3  # START_ATTEMPTS bounds the retries


def test_a_peer_ignoring_sigterm_is_killed_after_the_grace_period() -> None:
    stubborn = """
    import signal, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print('EVT {"event": "started"}', flush=True)
    time.sleep(60)
    """
    peer = ScriptPeer(stubborn, stop_grace_s=0.5).start()
    with pytest.raises(PeerError, match=r"ignored SIGTERM for 0.5 s and was killed"):
        peer.stop()
    assert peer.returncode is not None and peer.returncode < 0


def test_wait_for_the_exit_is_bounded() -> None:
    with ScriptPeer(TICKER) as peer, pytest.raises(PeerTimeoutError, match=r"still running after 0.2 s"):
        peer.wait(0.2)
    assert peer.returncode == 0  # the context manager stopped it
    assert ScriptPeer("").stop() is None  # never started: nothing to stop


def test_a_truncated_event_line_is_kept_as_unreadable() -> None:
    script = 'import time\nprint(\'EVT {"event": "started"}\')\nprint(\'EVT {"event": \')\ntime.sleep(60)'
    with ScriptPeer(script) as peer:
        unreadable = peer.wait_for("unreadable", timeout_s=10)
    assert unreadable["line"] == 'EVT {"event": '


def test_the_asyncio_forms_let_the_loop_run_while_waiting() -> None:
    async def scenario() -> tuple[int, int]:
        beats = 0

        async def heartbeat() -> None:
            nonlocal beats
            while True:
                beats += 1
                await asyncio.sleep(0.01)

        beating = asyncio.create_task(heartbeat())
        async with ScriptPeer(TICKER) as peer:
            tick = await peer.await_event("tick", count=5, timeout_s=10)
            with pytest.raises(PeerTimeoutError, match="'logon'"):
                await peer.await_event("logon", timeout_s=0.3)
        beating.cancel()
        assert peer.returncode == 0 and peer.summary is not None
        return tick["n"], beats

    n, beats = asyncio.run(scenario())
    assert n == 5
    assert beats >= 10  # ~0.5 s of ticks and a 0.3 s timeout: the loop kept running


def test_a_cancelled_async_wait_leaves_no_waiter_behind() -> None:
    async def scenario() -> EventLinePeer:
        async with ScriptPeer(TICKER) as peer:
            waiting = asyncio.create_task(peer.await_event("logon", timeout_s=30))
            await asyncio.sleep(0.2)
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
            assert not peer._async_wakeups
            assert peer.returncode is None  # still running until the context manager stops it
        return peer

    peer = asyncio.run(scenario())
    assert peer.returncode == 0


def test_restart_launches_again_with_fresh_events() -> None:
    peer = ScriptPeer(TICKER).start()
    try:
        peer.wait_for("tick", count=3, timeout_s=10)
        peer.restart()
        assert peer.launches == 2
        assert peer.events("summary") == []  # the first run's events are gone
        assert peer.wait_for("tick", timeout_s=10)["n"] >= 1
    finally:
        peer.stop()
        peer.kill()


def test_free_port_can_be_bound() -> None:
    import socket

    port = free_port()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", port))
    assert 0 < port < 65536
