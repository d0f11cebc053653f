"""fromAdmin over a loopback pair (QuickFIX's order): the Logon reaches fromAdmin before onLogon runs, the Logout
before onLogout, on both sides; an intraday reset asked by the acceptor is one Logon each way."""

from __future__ import annotations

from typing import Any

from engine_kit import run_bounded
from test_scheduler_engine import eventually

from pyfixmsg_plus.testing.loopback import RecordingApplication, loopback_pair

#: seconds to wait for an answer that travels over loopback (a bound, never a timing assertion)
ANSWER_WAIT = 5.0


async def wait_until(predicate: Any, what: str) -> None:
    """Wait until ``predicate()`` holds; AssertionError naming ``what`` after ANSWER_WAIT seconds."""
    assert await eventually(predicate, ANSWER_WAIT), f"{what} did not happen within {ANSWER_WAIT} s"


class OrderedCalls(RecordingApplication):
    """Also records every callback in one list, in the order the engine made them."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    async def onLogon(self, sessionID: Any) -> None:
        self.calls.append("onLogon")
        await super().onLogon(sessionID)

    async def onLogout(self, sessionID: Any) -> None:
        self.calls.append("onLogout")
        await super().onLogout(sessionID)

    async def fromAdmin(self, message: Any, sessionID: Any) -> None:
        self.calls.append(f"fromAdmin {message.get(35)}")
        await super().fromAdmin(message, sessionID)


def without_heartbeats(calls: list[str]) -> list[str]:
    return [call for call in calls if call != "fromAdmin 0"]


def test_logon_reaches_from_admin_before_on_logon_and_logout_before_on_logout() -> None:
    acceptor_app, initiator_app = OrderedCalls(), OrderedCalls()

    async def scenario() -> None:
        async with loopback_pair(acceptor_app, initiator_app):
            await wait_until(lambda: acceptor_app.logons and initiator_app.logons, "onLogon on both sides")
            assert [m.get(35) for m in acceptor_app.admin_received] == ["A"]  # the initiator's Logon request
            assert [m.get(35) for m in initiator_app.admin_received] == ["A"]  # the acceptor's answer
        await wait_until(lambda: acceptor_app.logouts, "onLogout on the acceptor")

    run_bounded(scenario())
    expected = ["fromAdmin A", "onLogon", "fromAdmin 5", "onLogout"]
    assert without_heartbeats(acceptor_app.calls) == expected  # the initiator's Logout, then its answer sent
    assert without_heartbeats(initiator_app.calls) == expected  # the acceptor's answer to our Logout


def test_a_reset_asked_by_the_acceptor_is_one_logon_each_way() -> None:
    acceptor_app, initiator_app = OrderedCalls(), OrderedCalls()

    async def scenario() -> tuple[int, int]:
        async with loopback_pair(acceptor_app, initiator_app) as pair:
            await pair.acceptor.reset_sequence_numbers()
            await wait_until(lambda: acceptor_app.admin_count("A") == 2, "the initiator's answer to the reset")
            # an order after the reset: a Logon sent in between by either side would have arrived before it
            order = pair.initiator.fixmsg(
                {35: "D", 11: "AFTER-RESET", 55: "X", 54: 1, 38: 1, 40: 1, 60: "20260101-00:00:00.000"}
            )
            await pair.initiator.send_message(order)
            await acceptor_app.next_message("D", timeout=ANSWER_WAIT)
            return pair.acceptor.session.next_sender_seqnum, pair.initiator.session.next_sender_seqnum

    acceptor_next, initiator_next = run_bounded(scenario())
    assert initiator_app.admin_count("A") == 2  # the Logon answer at logon, then the reset request: no third
    assert acceptor_app.admin_count("A") == 2  # the Logon request, then the answer to our reset
    assert (acceptor_next, initiator_next) == (2, 3)  # since the reset: our Logon 1; its Logon 1 and order 2
