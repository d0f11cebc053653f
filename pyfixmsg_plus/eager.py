"""Eager start of a coroutine: run it at once, in the caller's frame, and create a task only if it must wait.

``loop.create_task(coro)`` costs at least one event-loop iteration before the coroutine's first line runs,
and another one for whoever awaits its result. On the engine's hot paths (a send from the application, a
read from the socket) the work usually completes without waiting for anything (a memory store, a plain
callback), so :func:`start_eagerly` steps the coroutine synchronously and only when it first awaits a
pending future hands the rest to a task. This is Python 3.12's eager task factory, for one coroutine at a
time and on Python 3.11 as well.

Code that must run inside a task (``asyncio.timeout``, ``asyncio.current_task``: an application's async
callback) awaits :func:`leave_eager_step` first: outside an eager step it returns at once, inside one it
yields so that the rest runs in the task that finishes the coroutine.
"""

from __future__ import annotations

import asyncio
import threading
import types
from collections.abc import Coroutine, Generator
from typing import Any, TypeVar

T = TypeVar("T")

# not a ContextVar: tasks created during an eager step copy the context, and they are not inside the step
_state = threading.local()


def in_eager_step() -> bool:
    """True while a coroutine started by :func:`start_eagerly` runs synchronously in its caller's frame."""
    return bool(getattr(_state, "active", False))


def start_eagerly(coro: Coroutine[Any, Any, T]) -> asyncio.Task[T] | None:
    """Run ``coro`` now until it finishes (returns None) or waits for a pending future (returns the task
    that finishes it). An exception ``coro`` raises before it first waits propagates to the caller."""
    previous = getattr(_state, "active", False)  # in_eager_step(), inlined: once per send and per read
    _state.active = True
    try:
        yielded = coro.send(None)
    except StopIteration:
        return None
    finally:
        _state.active = previous
    return asyncio.get_running_loop().create_task(_finish(coro, yielded))


async def leave_eager_step() -> None:
    """Make sure what follows runs inside a task: one loop iteration inside an eager step, free outside."""
    if in_eager_step():
        await _yield_once()


@types.coroutine
def _yield_once() -> Generator[None, None, None]:
    # a bare yield: the driver (_finish) answers it with one loop iteration, as asyncio.sleep(0) does
    yield


async def _finish(coro: Coroutine[Any, Any, T], yielded: Any) -> T:
    """Drive ``coro`` to its end from inside a task, the way ``asyncio.Task`` would have.

    ``yielded`` is what ``coro`` last yielded: a future it waits for, or None (a bare yield). The outcome of
    the future is read by ``coro`` itself; a cancellation of this task is thrown into ``coro``.
    """
    while True:
        thrown: BaseException | None = None
        try:
            if yielded is None:
                await asyncio.sleep(0)
            else:
                # as asyncio.Task does with a yielded future: clear the flag the future set when coro awaited
                # it, or awaiting it again here is refused ("await wasn't used with future")
                yielded._asyncio_future_blocking = False
                await yielded
        except asyncio.CancelledError as exc:
            if yielded is None or not yielded.cancelled():
                thrown = exc  # this task was cancelled, not (only) the future coro waits for
        except Exception:
            if yielded is None or not yielded.done():
                raise
            # the future's own error: coro reads it from the future when resumed
        try:
            yielded = coro.send(None) if thrown is None else coro.throw(thrown)
        except StopIteration as stop:
            return stop.value
