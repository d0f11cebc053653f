"""Application: callbacks plain or async, MsgType dispatch, middleware, logon refusal, state listeners."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyfixmsg_plus.application import (
    Application,
    Direction,
    DoNotSend,
    LogonDecision,
    call_maybe_async,
    handles,
    msg_type_of,
)

SID = ("FIX.4.4", "SENDER", "TARGET")


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 10))


class Recording(Application):
    """Records every callback in order; fromApp is async and fromAdmin plain, on purpose."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        super().__init__()

    async def fromApp(self, message: Any, sessionID: Any) -> None:
        await asyncio.sleep(0)
        self.calls.append(("fromApp", message[35]))

    def fromAdmin(self, message: Any, sessionID: Any) -> None:
        self.calls.append(("fromAdmin", message[35]))

    async def onMessage(self, message: Any, sessionID: Any) -> None:
        self.calls.append(("onMessage", message[35]))

    def toApp(self, message: Any, sessionID: Any) -> None:
        if message.get(58) == "secret":
            raise DoNotSend
        message[1] = "ACCOUNT"
        self.calls.append(("toApp", message[35]))

    def toAdmin(self, message: Any, sessionID: Any) -> None:
        if message[35] == "A":
            message[554] = "pw"
        self.calls.append(("toAdmin", message[35]))

    @handles("8")
    async def on_execution_report(self, message: Any, sessionID: Any) -> None:
        self.calls.append(("exec", message[37]))


def test_plain_and_async_callables_are_both_awaited() -> None:
    async def twice(x: int) -> int:
        return 2 * x

    assert run(call_maybe_async(lambda x: x + 1, 1)) == 2
    assert run(call_maybe_async(twice, 4)) == 8


def test_inbound_admin_and_app_reach_from_callbacks_then_the_fallback() -> None:
    app = Recording()
    assert run(app.deliver_inbound({35: "0"}, SID)) is True
    assert run(app.deliver_inbound({35: "D"}, SID)) is True
    assert app.calls == [("fromAdmin", "0"), ("onMessage", "0"), ("fromApp", "D"), ("onMessage", "D")]


def test_class_level_handler_dispatches_by_msgtype() -> None:
    app = Recording()
    run(app.deliver_inbound({35: "8", 37: "ORD1"}, SID))
    assert app.calls == [("fromApp", "8"), ("exec", "ORD1")]
    assert app.handled_msg_types == frozenset({"8"})


def test_decorator_and_register_handler_including_custom_msgtypes() -> None:
    app = Recording()
    seen: list[str] = []

    @app.handler("D", "G")
    def orders(message: Any, sessionID: Any) -> None:
        seen.append("order " + message[35])

    async def custom(message: Any, sessionID: Any) -> str:
        seen.append("custom " + message[35])
        return "handled"

    app.register_handler("U42", custom)
    run(app.deliver_inbound({35: "D"}, SID))
    run(app.deliver_inbound({35: "G"}, SID))
    assert run(app.dispatch({35: "U42"}, SID)) == "handled"
    assert seen == ["order D", "order G", "custom U42"]
    app.unregister_handler("G")
    run(app.deliver_inbound({35: "G"}, SID))
    assert app.calls[-1] == ("onMessage", "G")
    with pytest.raises(KeyError, match="MsgType\\(35\\)='G'"):
        app.unregister_handler("G")


def test_fallback_can_be_replaced_and_restored() -> None:
    app = Recording()
    other: list[str] = []
    app.set_fallback(lambda message, sid: other.append(message[35]))
    run(app.dispatch({35: "B"}, SID))
    app.set_fallback(None)
    run(app.dispatch({35: "C"}, SID))
    assert other == ["B"]
    assert app.calls == [("onMessage", "C")]


@pytest.mark.parametrize("bad", ["", 68, None])
def test_handler_msgtype_must_be_a_nonempty_str(bad: Any) -> None:
    with pytest.raises(ValueError, match="MsgType\\(35\\)"):
        Application().register_handler(bad, print)


def test_inbound_middleware_can_change_and_drop_in_order() -> None:
    app = Recording()
    order: list[str] = []

    def tag_first(message: Any, sid: Any) -> Any:
        order.append("first")
        return {**message, 58: "seen"}

    async def drop_tests(message: Any, sid: Any) -> Any:
        order.append("second")
        return None if message.get(58) == "seen" and message[35] == "1" else message

    app.add_middleware(tag_first, Direction.INBOUND)
    app.add_middleware(drop_tests)
    assert run(app.deliver_inbound({35: "1"}, SID)) is False
    assert app.calls == []
    assert order == ["first", "second"]
    assert run(app.run_inbound({35: "D"}, SID)) == {35: "D", 58: "seen"}


def test_outbound_runs_to_callbacks_then_middleware_last_added_first() -> None:
    app = Recording()
    order: list[str] = []

    class Audit:
        def outbound(self, message: Any, sid: Any) -> Any:
            order.append("audit")
            return message

    def stamp(message: Any, sid: Any) -> Any:
        order.append("stamp")
        message[50] = "DESK"
        return message

    app.add_middleware(Audit())
    app.add_middleware(stamp, Direction.OUTBOUND)
    sent = run(app.prepare_outbound({35: "D"}, SID))
    assert sent == {35: "D", 1: "ACCOUNT", 50: "DESK"}
    assert order == ["stamp", "audit"]
    logon = run(app.prepare_outbound({35: "A"}, SID))
    assert logon[554] == "pw"
    assert app.calls == [("toApp", "D"), ("toAdmin", "A")]


def test_do_not_send_and_dropping_middleware_stop_outbound_messages() -> None:
    app = Recording()
    assert run(app.prepare_outbound({35: "D", 58: "secret"}, SID)) is None
    app.add_middleware(lambda m, s: None, Direction.OUTBOUND)
    assert run(app.prepare_outbound({35: "0"}, SID)) is None


def test_admin_flag_overrides_the_msgtype_guess() -> None:
    app = Recording()
    run(app.deliver_inbound({35: "XX"}, SID, admin=True))
    assert app.calls[0] == ("fromAdmin", "XX")


def test_middleware_misuse_is_reported() -> None:
    app = Application()
    with pytest.raises(TypeError, match="neither callable"):
        app.add_middleware(42)
    with pytest.raises(ValueError, match="direction='sideways'"):
        app.add_middleware(lambda m, s: m, "sideways")


def test_logon_hook_accepts_refuses_and_gives_the_text() -> None:
    class Gate(Application):
        async def onLogonRequest(self, message: Any, sessionID: Any) -> bool | str | None:
            if message.get(554) == "good":
                return True
            if message.get(554) is None:
                return False
            return "bad password"

    gate = Gate()
    assert run(gate.check_logon({35: "A", 554: "good"}, SID)) == LogonDecision(True)
    assert run(gate.check_logon({35: "A"}, SID)) == LogonDecision(False, "Logon refused")
    assert run(gate.check_logon({35: "A", 554: "nope"}, SID)) == LogonDecision(False, "bad password")
    assert run(Application().check_logon({35: "A"}, SID)).accepted


def test_logon_hook_with_a_wrong_answer_type_is_an_error() -> None:
    class Wrong(Application):
        def onLogonRequest(self, message: Any, sessionID: Any) -> Any:
            return 1

    with pytest.raises(TypeError, match="onLogonRequest returned 1"):
        run(Wrong().check_logon({35: "A"}, SID))


def test_state_listeners_and_on_state_change_see_every_change_in_order() -> None:
    seen: list[tuple[str, Any, Any, Any]] = []

    class Watch(Application):
        def onStateChange(self, sessionID: Any, old: Any, new: Any) -> None:
            seen.append(("hook", sessionID, old, new))

    app = Watch()

    async def async_listener(sid: Any, old: Any, new: Any) -> None:
        seen.append(("async", sid, old, new))

    def plain_listener(sid: Any, old: Any, new: Any) -> None:
        seen.append(("plain", sid, old, new))

    app.add_state_listener(async_listener)
    app.add_state_listener(plain_listener)
    run(app.notify_state_change(SID, "Disconnected", "Active"))
    app.remove_state_listener(plain_listener)
    run(app.notify_state_change(SID, "Active", "Disconnected"))
    assert [s[0] for s in seen] == ["hook", "async", "plain", "hook", "async"]
    assert seen[1] == ("async", SID, "Disconnected", "Active")


def test_default_callbacks_are_harmless_no_ops() -> None:
    app = Application()

    async def every_callback() -> None:
        for name in ("onCreate", "onLogon", "onLogout"):
            assert await call_maybe_async(getattr(app, name), SID) is None
        for name in ("toAdmin", "fromAdmin", "toApp", "fromApp", "onMessage", "onBatch"):
            assert await call_maybe_async(getattr(app, name), {35: "0"}, SID) is None
        assert await call_maybe_async(app.onReject, {35: "3"}) is None

    run(every_callback())
    assert Application.batch_msg_types == frozenset()


@settings(max_examples=60, deadline=None)
@given(msg_type=st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", min_size=1,
                        max_size=4),
       as_bytes=st.booleans(), str_key=st.booleans())
def test_every_msgtype_dispatches_to_its_own_handler(msg_type: str, as_bytes: bool, str_key: bool) -> None:
    app = Application()
    got: list[str] = []
    app.register_handler(msg_type, lambda message, sid: got.append(msg_type))
    app.set_fallback(lambda message, sid: got.append("fallback"))
    value: Any = msg_type.encode() if as_bytes else msg_type
    message = {"35" if str_key else 35: value}
    assert msg_type_of(message) == msg_type
    run(app.dispatch(message, SID))
    run(app.dispatch({35: msg_type + "Z"}, SID))
    assert got == [msg_type, "fallback"]
