"""End to end over loopback TCP: two FIXT.1.1 engines (DefaultApplVerID 9) whose configurations name the user's
own FIX 4.4 dictionary with QuickFIX's ``AppDataDictionary.FIX.4.4`` key.

The user's dictionary is the one of test_engine_custom_dictionary.py (FIX 4.4 session layer plus a custom message
U1 carrying the custom field NoteText(5001)). A U1 sent with ApplVerID(1128)=6 is judged by it and delivered; the
same U1 with 1128=9 is judged by the built-in FIX 5.0 SP2, which has no U1, and is refused with a session Reject.
"""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from engine_kit import run_bounded
from test_engine_custom_dictionary import CUSTOM_MSG_TYPE, NOTE_TEXT_TAG, SYMBOL_TAG, custom_fix44

from pyfixmsg_plus.message.dictionary import read_builtin
from pyfixmsg_plus.testing import RecordingApplication, loopback_pair

#: seconds to wait for one message across the loopback pair
ARRIVAL_TIMEOUT = 5.0


@pytest.fixture(scope="module")
def user_fix44(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fixt_versions") / "MYFIX44.xml"
    ET.ElementTree(custom_fix44(read_builtin("FIX.4.4"))).write(path, encoding="utf-8", xml_declaration=True)
    return path


async def rejects_received(app: RecordingApplication, count: int) -> list[Any]:
    """The session Rejects (35=3) ``app`` has received once there are ``count`` of them."""

    async def arrived() -> None:
        while app.admin_count("3") < count:
            await asyncio.sleep(0.01)

    await asyncio.wait_for(arrived(), ARRIVAL_TIMEOUT)
    return [message for message in app.admin_received if message.get(35) == "3"]


def test_1128_6_is_judged_by_the_users_fix44_and_1128_9_by_the_builtin(user_fix44: Path) -> None:
    settings = {"DefaultApplVerID": "9", "AppDataDictionary.FIX.4.4": str(user_fix44)}
    note = {35: CUSTOM_MSG_TYPE, SYMBOL_TAG: "EUR/USD", NOTE_TEXT_TAG: "hello"}

    executor, client = RecordingApplication(), RecordingApplication()

    async def scenario() -> None:
        async with loopback_pair(executor, client, begin_string="FIXT.1.1", settings=settings) as pair:
            await pair.initiator.send_message({**note, 1128: "6"})
            delivered = await executor.next_message(CUSTOM_MSG_TYPE, timeout=ARRIVAL_TIMEOUT)
            assert delivered.get(NOTE_TEXT_TAG) == "hello" and delivered.get(1128) == "6"
            tags = list(delivered.keys())
            assert tags.index(52) < tags.index(1128) < tags.index(SYMBOL_TAG)  # 1128 went out in the header
            await pair.initiator.send_message({**note, 1128: "9"})
            [reject] = await rejects_received(client, 1)
            assert (reject.get(372), reject.get(373)) == (CUSTOM_MSG_TYPE, "11")  # invalid MsgType: 5.0 SP2 has no U1
            assert len(executor.received) == 1

    run_bounded(scenario())


def test_send_message_refuses_an_appl_ver_id_the_session_has_no_dictionary_for(user_fix44: Path) -> None:
    """An unknown ApplVerID(1128) on send raises before the message is numbered: nothing leaves, the next
    MsgSeqNum stays, and the error names the value and the versions the session has."""
    from pyfixmsg_plus.session.fixt import UnsupportedOutboundApplVerID

    settings = {"DefaultApplVerID": "9", "AppDataDictionary.FIX.4.4": str(user_fix44)}
    executor = RecordingApplication()

    async def scenario() -> tuple[str, int, int]:
        async with loopback_pair(executor, begin_string="FIXT.1.1", settings=settings) as pair:
            with pytest.raises(UnsupportedOutboundApplVerID) as raised:
                await pair.initiator.send_message({35: "D", 11: "X", 1128: "42"})
            await pair.initiator.send_message({35: CUSTOM_MSG_TYPE, SYMBOL_TAG: "EUR/USD", NOTE_TEXT_TAG: "after",
                                               1128: "6"})
            delivered = await executor.next_message(CUSTOM_MSG_TYPE, timeout=ARRIVAL_TIMEOUT)
            return str(raised.value), int(delivered[34]), len(executor.received)

    text, seqnum, received = run_bounded(scenario())
    assert "'42'" in text and "9 (FIX.5.0SP2)" in text
    assert (seqnum, received) == (2, 1)  # the refused message used no number: the next one is 2 after the Logon
