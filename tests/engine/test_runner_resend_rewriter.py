"""A ResendRequest(2) answered by the runner (store rows from ``get_outbound_frames``, the PossDupRewriter in the
builder) writes the same bytes as re-encoding every stored frame."""

from __future__ import annotations

import asyncio
import time

from engine_kit import run_bounded
from test_engine_batch_and_admin import frame, value
from test_runner_bursts import active, report

from pyfixmsg_plus.session import SessionState


def resend_request(seqnum: int, begin: int, end: int) -> bytes:
    return frame("2", seqnum, (7, begin), (16, end))


def test_the_runner_resends_the_same_bytes_with_the_rewriter_on_and_off() -> None:
    async def scenario() -> None:
        engine, runner, conn = await active()
        fixed = time.time()
        runner.clock = lambda: fixed  # one SendingTime(52) for both answers
        first = runner.session.next_sender_seqnum
        for n in range(5):
            await engine.send_fields("8", report(f"R{n}"))
        await runner.flush()
        last = runner.session.next_sender_seqnum - 1
        answers = []
        reads: list[tuple[int, int]] = []
        rows = runner.store.get_outbound_frames

        async def counted_rows(key: object, first_seq: int, last_seq: int) -> object:
            reads.append((first_seq, last_seq))
            return await rows(key, first_seq, last_seq)  # type: ignore[arg-type]

        runner.store.get_outbound_frames = counted_rows  # type: ignore[method-assign,assignment]
        for peer_seqnum, fast in ((2, True), (3, False)):
            runner.session.builder.fast_resend = fast
            conn.written.clear()
            runner.on_data(resend_request(peer_seqnum, 1, 0))
            await runner.flush()
            await asyncio.sleep(0)
            answers.append(conn.frames())
        assert reads == [(1, last), (1, last)]  # the replay rows, one read per ResendRequest
        assert answers[0] == answers[1]
        resent = answers[0]
        # the Logon answer is gap-filled, the five reports come back with PossDupFlag(43)=Y
        assert [(value(f, 35), value(f, 34), value(f, 36)) for f in resent] == [
            (b"4", b"1", str(first).encode()),
            *((b"8", str(n).encode(), None) for n in range(first, last + 1)),
        ]
        assert all(value(f, 43) == b"Y" for f in resent)
        assert runner.state is SessionState.ACTIVE
        await engine.disconnect(graceful=False)

    run_bounded(scenario())
