"""Our engine against QuickFIX's Python binding (pip ``quickfix-ssl``, ``import quickfix``) over TCP on 127.0.0.1.

Both directions: our initiator -> a QuickFIX Python acceptor, and a QuickFIX Python initiator -> our acceptor.
Each shows logon, NewOrderSingle (35=D) answered by ExecutionReport (35=8) (orders one way, reports the other), a
sequence gap the binding makes on purpose (recovered by ResendRequest(2) and SequenceReset-GapFill(4)), and
logout. The binding runs in its own process (pyfixmsg_plus/bench/live/qfpy_peer.py, see qfpy_harness); its
dictionary is the C++ peer's FIX44-peer.xml from this checkout, else the FIX44.xml the wheel installs, so
../shared is not needed.

Skipped, with the reason, when the binding is not importable (pip install quickfix-ssl, or point
$PYFIXMSG_PLUS_QFPY_PYTHON at an interpreter that has it); with $PYFIXMSG_PLUS_REQUIRE_INTEROP set (CI) that is a
failure. Every scenario is bounded (interop_kit.SCENARIO_TIMEOUT_S) and stops its peer.
"""

from __future__ import annotations

from typing import Any

import pytest
from interop_kit import (
    OURS,
    QUICKFIX,
    assert_each_order_filled_once,
    assert_fills,
    assert_gap_filled_by_the_peer,
    clordids,
    open_acceptor,
    our_initiator,
    our_initiator_recovers_the_peers_gap,
    run_initiator_to_its_end,
    run_scenario,
    send_orders,
    sequence_numbers,
)
from peer import skip_or_fail_unavailable

from pyfixmsg_plus.bench.live.qfpy_harness import BindingAvailability, QuickFixPythonPeer, find_binding, free_port
from pyfixmsg_plus.engine import FixEngine
from pyfixmsg_plus.testing import OrderFiller, RecordingApplication

ORDERS = 200


@pytest.fixture(scope="module")
def binding() -> BindingAvailability:
    """The interpreter with the QuickFIX Python binding; skips without one, or fails when $REQUIRE_ENV is set."""
    found = find_binding()
    if not found.available:
        skip_or_fail_unavailable(f"QuickFIX Python binding unavailable: {found.reason}")
    return found


def binding_acceptor(binding: BindingAvailability, **options: Any) -> QuickFixPythonPeer:
    return binding.peer("acceptor", sender_comp_id=QUICKFIX, target_comp_id=OURS, **options)


def binding_initiator(binding: BindingAvailability, port: int, **options: Any) -> QuickFixPythonPeer:
    return binding.peer("initiator", sender_comp_id=QUICKFIX, target_comp_id=OURS, port=port, **options)


# ---------------------------------------------------------------- our initiator -> QuickFIX Python acceptor


def test_initiator_logon_orders_logout(binding: BindingAvailability) -> None:
    async def scenario() -> None:
        app = RecordingApplication()
        async with (
            binding_acceptor(binding) as qf,
            await FixEngine.create(our_initiator(qf.port), app) as ours,
        ):
            assert await ours.wait_logged_on(10)
            logon = await qf.await_event("logon", timeout_s=10)
            assert logon["session"] == f"FIX.4.4:{QUICKFIX}->{OURS}"
            await send_orders(ours, clordids("I", ORDERS))
            assert_fills(await app.wait_for_count(ORDERS, "8", timeout=60), clordids("I", ORDERS))
            assert await ours.request_logoff(timeout=10)
            logout = await qf.await_event("logout", timeout_s=10)
            assert app.logouts
            # Logon + the orders + Logout: every number the binding saw was ours, and the other way round
            assert sequence_numbers(ours) == (logout["next_target_seq"], logout["next_sender_seq"])
        summary = qf.summary
        assert summary is not None
        assert (summary["orders_received"], summary["reports_sent"]) == (ORDERS, ORDERS)
        assert summary["admin_received"] == {"A": 1, "5": 1}

    run_scenario(scenario())


def test_initiator_recovers_a_gap_made_by_the_binding(binding: BindingAvailability) -> None:
    """The binding's acceptor jumps from MsgSeqNum 5 to 8: we ask with ResendRequest(2), it answers with
    SequenceReset-GapFill(4); every report reaches our application once and the numbers agree at logout."""

    async def scenario() -> None:
        app = RecordingApplication()
        async with (
            binding_acceptor(binding, skip_seq_at=5, skip_count=3) as qf,
            await FixEngine.create(our_initiator(qf.port), app) as ours,
        ):
            await our_initiator_recovers_the_peers_gap(qf, ours, app, skipped=(5, 8))
        assert_gap_filled_by_the_peer(qf.summary)

    run_scenario(scenario())


# ---------------------------------------------------------------- QuickFIX Python initiator -> our acceptor


def test_acceptor_fills_the_binding_orders_then_answers_its_logout(binding: BindingAvailability) -> None:
    async def scenario() -> None:
        app = OrderFiller()
        port = free_port()
        ours = await open_acceptor(app, port)
        qf = binding_initiator(binding, port, orders=ORDERS)  # logs out and exits once every report arrived
        try:
            await qf.astart()
            assert await ours.wait_logged_on(10)
            assert await qf.await_exit(60) == 0, qf.output
            assert await ours.wait_disconnected(10)
            assert app.logouts
        finally:
            await qf.astop()
            await ours.disconnect()
        assert app.fills == ORDERS
        # the binding's ClOrdIDs are C1..CN, sent in order
        assert [m[11] for m in app.received] == clordids("C", ORDERS, first=1)
        summary = qf.summary
        assert summary is not None
        assert (summary["orders_sent"], summary["reports_received"]) == (ORDERS, ORDERS)
        assert summary["work_complete"] is True
        assert summary["admin_received"] == {"A": 1, "5": 1}  # our Logon answer and our answer to its Logout

    run_scenario(scenario())


def test_acceptor_recovers_a_gap_made_by_the_binding(binding: BindingAvailability) -> None:
    async def scenario() -> None:
        app = OrderFiller()
        port = free_port()
        ours = await open_acceptor(app, port)
        qf = binding_initiator(binding, port, orders=20, skip_seq_at=6, skip_count=4)
        await run_initiator_to_its_end(qf, ours)
        skipped = qf.events("skipped_seq")
        assert [(s["from"], s["to"]) for s in skipped] == [(6, 10)]
        assert_each_order_filled_once(app, qf.summary, 20)

    run_scenario(scenario())
