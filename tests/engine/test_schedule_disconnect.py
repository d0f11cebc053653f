"""``disconnect()`` while the end of session time (here a ``[Scheduler]`` stop) is stopping an initiator: the
stop is shielded from the cancel of the schedule task, and disconnect must still wait for it (bounded by
LogoutTimeout + 1 s) and see its error, never leave it to asyncio's "Task exception was never retrieved"."""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import Any

import pytest
from engine_kit import free_port, initiator_config, run_bounded
from test_scheduler_engine import OFFICE_HOURS, SteppedClock, at, open_on, scheduled

from pyfixmsg_plus.application import Application
from pyfixmsg_plus.engine import FixEngine
from pyfixmsg_plus.session import SessionState
from pyfixmsg_plus.transport import Initiator

#: how long the fake initiator stop takes (seconds); LogoutTimeout below bounds the wait for it at 2 s
STOP_SECONDS = 0.5


class SlowStop:
    """Replaces an initiator's ``stop``: takes STOP_SECONDS, then stops it for real (and raises ``error``)."""

    def __init__(self, initiator: Initiator, error: Exception | None) -> None:
        self.original = initiator.stop
        self.error = error
        self.started = asyncio.Event()
        self.finished = False

    async def __call__(self, *, graceful: bool = True) -> None:
        self.started.set()
        await asyncio.sleep(STOP_SECONDS)
        await self.original(graceful=graceful)
        self.finished = True
        if self.error is not None:
            raise self.error


@pytest.mark.parametrize("error", [None, RuntimeError("the initiator's socket could not be closed")])
def test_disconnect_during_the_stop_at_session_end_waits_for_it_and_sees_its_error(
    error: Exception | None, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        unhandled: list[dict[str, Any]] = []
        loop.set_exception_handler(lambda _loop, context: unhandled.append(context))
        clock = SteppedClock(at("12:00"))
        engine = await FixEngine.create(
            scheduled(initiator_config(free_port(), "CLIENT", LogoutTimeout=1), OFFICE_HOURS), Application()
        )
        await open_on(engine, clock)
        runner = engine.runner()
        stop = SlowStop(engine.initiators[runner.session_id], error)
        engine.initiators[runner.session_id].stop = stop  # type: ignore[method-assign]

        clock.move_to(at("17:00"))  # the stop entry: the schedule task stops the initiator
        await asyncio.wait_for(stop.started.wait(), 5)
        await engine.disconnect()  # cancels the schedule task during the shielded stop
        assert stop.finished  # disconnect returned only after the initiator had stopped
        assert runner.state is SessionState.DISCONNECTED
        gc.collect()
        await asyncio.sleep(0)
        assert [c.get("message") for c in unhandled] == []

    with caplog.at_level(logging.WARNING, logger="pyfixmsg_plus.engine"):
        run_bounded(scenario())
    failures = [r for r in caplog.records if "stopping the initiator" in r.getMessage()]
    if error is None:
        assert failures == []
    else:
        assert len(failures) == 1 and str(error) in failures[0].getMessage()
