"""The session timer fires at its wall-clock deadline even when the loop's clock runs ahead of the wall clock."""

from __future__ import annotations

import asyncio
import time

from pyfixmsg_plus.application import Application
from pyfixmsg_plus.engine.session_runner import SessionRunner
from pyfixmsg_plus.message.codec import Codec
from pyfixmsg_plus.session import Session, SessionConfig
from pyfixmsg_plus.store import InboundWriter, SessionKey
from pyfixmsg_plus.store.memory import MemoryStore
from pyfixmsg_plus.store.persistence import make_writer


def test_an_early_timer_waits_for_the_deadline_instead_of_ticking_for_nothing() -> None:
    async def body() -> list[float]:
        start_wall, start_loop = time.time(), time.monotonic()

        def slow_clock() -> float:  # wall time that advances at 80% of the loop's pace: every timer is early
            return start_wall + (time.monotonic() - start_loop) * 0.8

        session = Session(SessionConfig("FIX.4.4", "US", "THEM"))
        store, key = MemoryStore(), SessionKey("FIX.4.4", "US", "THEM")
        runner = SessionRunner(session, Application(), Codec(), store, key, make_writer("group", store, key),
                               InboundWriter(store, key), clock=slow_clock)  # fmt: skip
        ticks: list[float] = []
        session.tick = lambda now: ticks.append(now) or []  # type: ignore[method-assign]
        deadline = slow_clock() + 0.1
        runner._arm(deadline)
        await asyncio.sleep(0.3)
        runner._cancel_timer()
        return [t - deadline for t in ticks]

    late_by = asyncio.run(body())
    assert len(late_by) == 1 and late_by[0] >= 0, late_by
