"""``Application.deliver_inbound_nowait``: the engine's per-message delivery without coroutines for plain
callbacks, with the same calls in the same order as ``deliver_inbound`` in every other case."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from engine_kit import run_bounded

from pyfixmsg_plus.application import Application

SID = "FIX.4.4:ME->THEM"


class Calls(Application):
    """Records each callback as (name, MsgType)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, str]] = []

    def fromApp(self, message: Any, sessionID: Any) -> None:
        self.calls.append(("fromApp", message[35]))

    def fromAdmin(self, message: Any, sessionID: Any) -> None:
        self.calls.append(("fromAdmin", message[35]))

    def onMessage(self, message: Any, sessionID: Any) -> None:
        self.calls.append(("onMessage", message[35]))


class AsyncCalls(Calls):
    async def fromApp(self, message: Any, sessionID: Any) -> None:  # type: ignore[override]
        await asyncio.sleep(0)
        self.calls.append(("async fromApp", message[35]))


class OwnDispatch(Calls):
    async def dispatch(self, message: Any, sessionID: Any) -> Any:
        self.calls.append(("own dispatch", message[35]))


def deliver_both_ways(make: type[Calls], messages: list[dict[int, str]], admin: bool | None = None) -> list[Any]:
    """The calls of ``deliver_inbound`` and of ``deliver_inbound_nowait`` (awaiting what it returns), and what
    each returned, for fresh applications of class ``make``."""

    async def scenario() -> list[Any]:
        slow, fast = make(), make()
        slow_results = [await slow.deliver_inbound(dict(m), SID, admin=admin) for m in messages]
        fast_results = []
        for m in messages:
            pending = fast.deliver_inbound_nowait(dict(m), SID, admin=admin)
            fast_results.append(True if pending is None else await pending)
        return [slow.calls, fast.calls, slow_results, fast_results]

    result: list[Any] = run_bounded(scenario())
    return result


MESSAGES = [{35: "8", 11: "A"}, {35: "0"}, {35: "D", 11: "B"}]


@pytest.mark.parametrize("admin", [None, False, True])
def test_plain_callbacks_are_called_in_the_same_order_without_a_coroutine(admin: bool | None) -> None:
    slow_calls, fast_calls, slow_results, fast_results = deliver_both_ways(Calls, MESSAGES, admin)
    assert fast_calls == slow_calls
    assert fast_results == slow_results == [True, True, True]

    async def nothing_to_await() -> Any:
        return Calls().deliver_inbound_nowait({35: "8"}, SID)

    assert run_bounded(nothing_to_await()) is None


def test_handlers_and_the_fallback_are_dispatched_as_before() -> None:
    class WithHandlers(Calls):
        def __init__(self) -> None:
            super().__init__()
            self.register_handler("8", lambda m, s: self.calls.append(("handler 8", m[35])))
            self.set_fallback(lambda m, s: self.calls.append(("fallback", m[35])))

    slow_calls, fast_calls, _, _ = deliver_both_ways(WithHandlers, MESSAGES)
    assert fast_calls == slow_calls == [("fromApp", "8"), ("handler 8", "8"), ("fromAdmin", "0"),
                                        ("fallback", "0"), ("fromApp", "D"), ("fallback", "D")]  # fmt: skip


def test_an_async_callback_finishes_in_what_is_returned() -> None:
    slow_calls, fast_calls, slow_results, fast_results = deliver_both_ways(AsyncCalls, MESSAGES)
    assert fast_calls == slow_calls
    assert ("async fromApp", "8") in fast_calls and fast_results == slow_results


def test_an_async_handler_finishes_in_what_is_returned() -> None:
    class AsyncHandler(Calls):
        async def onMessage(self, message: Any, sessionID: Any) -> None:  # type: ignore[override]
            await asyncio.sleep(0)
            self.calls.append(("async onMessage", message[35]))

    slow_calls, fast_calls, _, fast_results = deliver_both_ways(AsyncHandler, MESSAGES)
    assert fast_calls == slow_calls and fast_results == [True, True, True]


def test_middleware_and_a_replaced_dispatch_keep_the_general_path() -> None:
    class Dropping(Calls):
        def __init__(self) -> None:
            super().__init__()
            self.add_middleware(lambda m, s: None if m[35] == "0" else m, "inbound")

    slow_calls, fast_calls, slow_results, fast_results = deliver_both_ways(Dropping, MESSAGES)
    assert fast_calls == slow_calls and ("fromAdmin", "0") not in fast_calls
    assert fast_results == slow_results == [True, False, True]
    slow_calls, fast_calls, _, _ = deliver_both_ways(OwnDispatch, MESSAGES)
    assert fast_calls == slow_calls and ("own dispatch", "8") in fast_calls
