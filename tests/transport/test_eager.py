"""Eager start: a coroutine that needs no wait runs to its end at once; one that waits is finished by a task."""

from __future__ import annotations

import asyncio

import pytest
from transport_kit import loop_kind_fixture, run_bounded  # noqa: F401 - pytest fixtures

from pyfixmsg_plus.eager import in_eager_step, leave_eager_step, start_eagerly


def test_a_coroutine_that_never_waits_runs_now_and_makes_no_task(loop_kind: str) -> None:
    async def scenario() -> None:
        trail: list[str] = []

        async def work() -> None:
            trail.append("ran")

        before = len(asyncio.all_tasks())
        assert start_eagerly(work()) is None
        assert trail == ["ran"] and len(asyncio.all_tasks()) == before

    run_bounded(scenario(), loop_kind)


def test_a_coroutine_that_waits_is_finished_by_a_task_with_the_future_outcome(loop_kind: str) -> None:
    async def scenario() -> None:
        gate: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        failing: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def work() -> tuple[int, str]:
            value = await gate
            try:
                await failing
            except ValueError as exc:
                return value, str(exc)
            return value, ""

        task = start_eagerly(work())
        assert task is not None and not task.done()
        gate.set_result(7)
        await asyncio.sleep(0)
        failing.set_exception(ValueError("boom"))
        assert await task == (7, "boom")

    run_bounded(scenario(), loop_kind)


def test_cancelling_the_task_cancels_the_coroutine_where_it_waits(loop_kind: str) -> None:
    async def scenario() -> None:
        cleaned: list[str] = []

        async def work() -> None:
            try:
                await asyncio.sleep(10)
            finally:
                cleaned.append("finally")

        task = start_eagerly(work())
        assert task is not None
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert cleaned == ["finally"]

    run_bounded(scenario(), loop_kind)


def test_leave_eager_step_moves_the_rest_into_a_task_of_its_own(loop_kind: str) -> None:
    async def scenario() -> None:
        seen: list[object] = []
        caller = asyncio.current_task()

        async def work() -> None:
            seen.append(in_eager_step())
            await leave_eager_step()
            seen.append(in_eager_step())
            async with asyncio.timeout(5):  # needs a task of its own
                seen.append(asyncio.current_task() is not caller)

        task = start_eagerly(work())
        assert task is not None and seen == [True]
        await task
        assert seen == [True, False, True]

    run_bounded(scenario(), loop_kind)


def test_an_error_before_the_first_wait_reaches_the_caller() -> None:
    async def scenario() -> None:
        async def work() -> None:
            raise KeyError("early")

        with pytest.raises(KeyError):
            start_eagerly(work())
        assert not in_eager_step()

    run_bounded(scenario())
