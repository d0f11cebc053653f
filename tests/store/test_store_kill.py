"""Crash safety: writer processes SIGKILLed at random moments (24 kills across backends and modes).

After the kills no outbound sequence number reached the socket twice, the store resumes above every number
sent,
in sync/group every frame that reached the socket is stored byte for byte, in write_behind every missing
one lies
in the GapFill range, and the database passes its integrity check. ``scripts/store_stress.py`` runs thousands.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest

from pyfixmsg_plus.store.crash_harness import (
    check_invariants,
    order_frame,
    read_socket_log,
    run_kill_cycles,
)

KILLS_PER_CASE = 4


@pytest.mark.parametrize("mode", ["sync", "group", "write_behind"])
@pytest.mark.parametrize("backend", ["database", "aiosqlite"])
def test_kill_minus_9_keeps_the_invariants(backend: str, mode: str, tmp_path: Path) -> None:
    summary = run_kill_cycles(
        tmp_path, backend, mode, KILLS_PER_CASE, seed=zlib.crc32(f"{backend}/{mode}".encode())
    )
    assert summary.sent > 0, "the writer never reached the socket: the kills proved nothing"
    assert summary.problems == []
    assert summary.ok, summary.line(f"{backend}/{mode}")


def test_checker_catches_reuse_and_loss(tmp_path: Path) -> None:
    """The invariant checker itself: a socket log with a repeated and an unstored number must fail."""
    log = tmp_path / "x.log"
    log.write_bytes(b"".join(order_frame(seq, 0.0) + b"\n" for seq in (1, 2, 2)) + b"8=FIX.4.4\x01cut")
    summary = check_invariants(tmp_path / "missing.db", log, "group")
    assert summary.sent == 3  # the cut frame at the end is not a message
    assert summary.reused >= 1 and summary.lost == 3
    assert not summary.ok


def test_frame_cut_by_a_kill_and_followed_on_the_same_line_is_not_a_message(tmp_path: Path) -> None:
    """A SIGKILL can cut a file write short; the next run's frame then follows the fragment on one line."""
    cut = order_frame(7, 0.0)[:150]
    log = tmp_path / "x.log"
    log.write_bytes(order_frame(6, 0.0) + b"\n" + cut + order_frame(9, 0.0) + b"\n" + cut)
    assert [seq for seq, _ in read_socket_log(log)] == [6, 9]
