"""Every BeginString the configuration accepts runs without a DataDictionary: the built-in dictionary of its
version validates what arrives (FIX 4.0, 4.1 and 4.3 had none before and failed at create())."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pyfixmsg_plus.config import ConfigManager
from pyfixmsg_plus.engine.building import SpecCache
from pyfixmsg_plus.testing.loopback import RecordingApplication, loopback_pair
from tests.engine.engine_kit import run_bounded

ARRIVAL_TIMEOUT = 10.0

#: an order valid in each version's NewOrderSingle(D) (4.0/4.1 have no TransactTime(60) in it; 4.3 requires it)
ORDERS: dict[str, dict[int, Any]] = {
    "FIX.4.0": {11: "O1", 21: "1", 55: "IBM", 54: "1", 38: 100, 40: "1"},
    "FIX.4.1": {11: "O1", 21: "1", 55: "IBM", 54: "1", 38: 100, 40: "1"},
    "FIX.4.3": {11: "O1", 21: "1", 55: "IBM", 54: "1", 38: 100, 40: "1", 60: "20260101-12:00:00"},
}


async def first_reject(app: RecordingApplication) -> Any:
    """The first session-level Reject(3) ``app`` received (polled: admin messages have no waiter)."""
    while not app.admin_count("3"):
        await asyncio.sleep(0.01)
    return next(message for message in app.admin_received if message.get(35) == "3")


def settings_for(begin_string: str) -> Any:
    config = ConfigManager.from_dict({
        "DEFAULT": {"ConnectionType": "acceptor", "SocketAcceptPort": 9000, "BeginString": begin_string},
        "SESSION": [{"SenderCompID": "EXEC", "TargetCompID": "CLIENT"}],
    })  # fmt: skip
    [settings] = config.sessions()
    return settings


@pytest.mark.parametrize("begin_string", ["FIX.4.0", "FIX.4.1", "FIX.4.2", "FIX.4.3", "FIX.4.4"])
def test_each_fix4_begin_string_has_a_built_in_dictionary(begin_string: str) -> None:
    spec = SpecCache().for_session(settings_for(begin_string))
    assert (spec.begin_string, spec.source) == (begin_string, f"builtin:{begin_string}")
    assert {"A", "0", "5", "D", "8"} <= set(spec.msg_types)


@pytest.mark.parametrize("begin_string", sorted(ORDERS))
def test_older_versions_log_on_and_validate_orders(begin_string: str) -> None:
    acceptor_app = RecordingApplication()

    async def scenario() -> tuple[Any, Any]:
        async with loopback_pair(acceptor_app, begin_string=begin_string) as pair:
            await pair.initiator.send_message(pair.initiator.fixmsg({35: "D", **ORDERS[begin_string]}))
            good = await asyncio.wait_for(acceptor_app.next_message("D"), ARRIVAL_TIMEOUT)
            # Side(54)=Z is no Side of any version: the version's dictionary must answer it with a Reject(3)
            await pair.initiator.send_message(pair.initiator.fixmsg({35: "D", **ORDERS[begin_string], 54: "Z"}))
            initiator_app = pair.initiator_app
            assert isinstance(initiator_app, RecordingApplication)
            return good, await asyncio.wait_for(first_reject(initiator_app), ARRIVAL_TIMEOUT)

    good, reject = run_bounded(scenario())
    assert (good[8], good[11], good[55]) == (begin_string, "O1", "IBM")
    assert reject[8] == begin_string and reject[45] == "3"
