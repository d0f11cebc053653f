"""loopback_pair: two engines in one process, logged on over 127.0.0.1; the recording and filling apps."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest

from pyfixmsg_plus.session import SessionState
from pyfixmsg_plus.testing import OrderFiller, RecordingApplication, assert_fields, loopback_pair, pair_configs


def run(coro: Coroutine[Any, Any, Any], timeout: float = 30.0) -> Any:
    return asyncio.run(asyncio.wait_for(coro, timeout))


def order(engine: Any, clordid: str) -> Any:
    return engine.fixmsg({35: "D", 11: clordid, 21: "1", 55: "EUR/USD", 54: "2", 38: 300, 40: "2", 44: "1.25",
                          60: "20240603-12:00:00"})  # fmt: skip


def test_pair_is_logged_on_and_orders_are_filled() -> None:
    async def scenario() -> None:
        async with loopback_pair(acceptor_app=OrderFiller()) as pair:
            assert pair.acceptor.state_machine.state is SessionState.ACTIVE
            assert pair.initiator.state_machine.state is SessionState.ACTIVE
            for n in range(5):
                assert await pair.initiator.send_message(order(pair.initiator, f"L{n}"))
            app: RecordingApplication = pair.initiator_app  # type: ignore[assignment]
            reports = [await app.next_message("8") for _ in range(5)]
            assert [r[11] for r in reports] == [f"L{n}" for n in range(5)]
            assert_fields(reports[0], {37: "O1", 17: "E1", 150: "F", 39: "2", 54: "2", 14: "300", 151: "0",
                                       31: "1.25", 49: "EXEC", 56: "CLIENT"})  # fmt: skip
            assert pair.acceptor_app.fills == 5  # type: ignore[attr-defined]
            initiator = pair.initiator
        assert initiator.state_machine.state is not SessionState.ACTIVE  # logged out on exit
        assert pair.acceptor_app.logouts  # type: ignore[attr-defined]

    run(scenario())


def test_sqlite_stores_keep_numbers_between_pairs(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with loopback_pair(store_dir=tmp_path) as first:
            await first.initiator.send_message(order(first.initiator, "A"))
            await first.acceptor_app.next_message("D")  # type: ignore[attr-defined]
            sent = first.initiator.session.next_sender_seqnum
        async with loopback_pair(store_dir=tmp_path) as second:
            # the Logout of the first pair used `sent`; the new Logon used the number after it
            assert second.initiator.session.next_sender_seqnum == sent + 2
        assert (tmp_path / "initiator.db").is_file() and (tmp_path / "acceptor.db").is_file()

    run(scenario())


def test_next_message_times_out_and_wait_for_count_names_what_came() -> None:
    async def scenario() -> None:
        async with loopback_pair(initiator_id="BUY", acceptor_id="SELL", heartbeat_interval=5) as pair:
            app: RecordingApplication = pair.acceptor_app  # type: ignore[assignment]
            with pytest.raises(TimeoutError):
                await app.next_message(timeout=0.2)
            await pair.initiator.send_message(order(pair.initiator, "Q"))
            # the one order must have arrived before the short wait for two, or the message would say "0 of 2"
            # on a slow machine: wait for it with a generous bound first
            await app.wait_for_count(1, "D", timeout=10.0)
            with pytest.raises(TimeoutError, match="1 of 2 messages with MsgType\\(35\\)=D"):
                await app.wait_for_count(2, "D", timeout=0.2)
            assert (await app.next_message("D"))[49] == "BUY"

    run(scenario())


def test_pair_configs_name_both_sides_and_extra_settings() -> None:
    acceptor, initiator = pair_configs(9999, initiator_id="C", acceptor_id="E", settings={"ResetOnLogon": "Y"})
    accept, initiate = acceptor.sessions()[0], initiator.sessions()[0]
    assert (accept.sender_comp_id, accept.target_comp_id, accept.socket_accept_port) == ("E", "C", 9999)
    assert (initiate.sender_comp_id, initiate.target_comp_id) == ("C", "E")
    assert accept.reset_on_logon and initiate.reset_on_logon
