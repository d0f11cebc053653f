"""End to end: custom application message types from the user's own QuickFIX XML dictionary (issue 5, item 2).

The user's dictionary is written in the test: the built-in FIX 4.4 header, trailer, session messages and fields,
plus a custom message U1 ("CustomNote") carrying a custom field 5001 (NoteText) and requiring the standard field
Symbol(55). Both engines of a loopback pair read it through ``DataDictionary``; a U1 is sent by the initiator and
must reach the acceptor's handler registered for "U1", and a U1 without Symbol(55) must be answered with a
session-level Reject (35=3) with SessionRejectReason(373)=1 (required tag missing) naming RefTagID(371)=55.
"""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from engine_kit import run_bounded

from pyfixmsg_plus.message.dictionary import COMPONENT, FIELD, GROUP, Item, RawDictionary, read_builtin, read_xml
from pyfixmsg_plus.message.reference import FixSpec
from pyfixmsg_plus.testing import RecordingApplication, loopback_pair

#: the custom message and fields the user's dictionary adds
CUSTOM_MSG_TYPE = "U1"
NOTE_TEXT_TAG = 5001  # custom field, user-defined range 5000..9999
SYMBOL_TAG = 55  # standard field the custom message requires
#: seconds to wait for one message across the loopback pair
ARRIVAL_TIMEOUT = 5.0


# ----------------------------------------------------------------------------------------------------
# the user's dictionary: built-in FIX 4.4 session layer + U1, written as QuickFIX XML
# ----------------------------------------------------------------------------------------------------


def _append_items(parent: ET.Element, items: list[Item], names: dict[int, str]) -> None:
    """QuickFIX XML children of ``parent`` for raw composition items (fields, components, groups)."""
    for item in items:
        required = "Y" if item[2] else "N"
        if item[0] == FIELD:
            ET.SubElement(parent, "field", name=names[item[1]], required=required)
        elif item[0] == COMPONENT:
            ET.SubElement(parent, "component", name=item[1], required=required)
        elif item[0] == GROUP:
            group = ET.SubElement(parent, "group", name=names[item[1]], required=required)
            _append_items(group, item[3], names)


def _referenced_components(items: list[Item], components: dict[str, list[Item]], found: set[str]) -> None:
    """Add to ``found`` every component ``items`` use, directly or through other components and groups."""
    for item in items:
        if item[0] == COMPONENT and item[1] not in found:
            found.add(item[1])
            _referenced_components(components[item[1]], components, found)
        elif item[0] == GROUP:
            _referenced_components(item[3], components, found)


def custom_fix44(raw: RawDictionary) -> ET.Element:
    """The user's dictionary: FIX 4.4's header, trailer and admin messages, and custom message U1."""
    names = {row[0]: row[1] for row in raw["fields"]}
    names[NOTE_TEXT_TAG] = "NoteText"
    root = ET.Element("fix", type="FIX", major="4", minor="4", servicepack="0")
    _append_items(ET.SubElement(root, "header"), raw["header"], names)
    messages = ET.SubElement(root, "messages")
    used: set[str] = set()
    for name, msg_type, category, items in raw["messages"]:
        if category == "admin":
            _append_items(ET.SubElement(messages, "message", name=name, msgtype=msg_type, msgcat=category),
                          items, names)  # fmt: skip
            _referenced_components(items, raw["components"], used)
    custom = ET.SubElement(messages, "message", name="CustomNote", msgtype=CUSTOM_MSG_TYPE, msgcat="app")
    ET.SubElement(custom, "field", name=names[SYMBOL_TAG], required="Y")
    ET.SubElement(custom, "field", name="NoteText", required="N")
    _referenced_components(raw["header"] + raw["trailer"], raw["components"], used)
    _append_items(ET.SubElement(root, "trailer"), raw["trailer"], names)
    components = ET.SubElement(root, "components")
    for name in sorted(used):
        _append_items(ET.SubElement(components, "component", name=name), raw["components"][name], names)
    fields = ET.SubElement(root, "fields")
    for number, name, field_type, enums in raw["fields"]:
        field = ET.SubElement(fields, "field", number=str(number), name=name, type=field_type)
        for value, description in enums:
            ET.SubElement(field, "value", enum=value, description=description)
    ET.SubElement(fields, "field", number=str(NOTE_TEXT_TAG), name="NoteText", type="STRING")
    return root


@pytest.fixture(scope="module")
def user_dictionary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of the user's QuickFIX XML dictionary (FIX 4.4 session layer + U1)."""
    path = tmp_path_factory.mktemp("dictionary") / "MYFIX44.xml"
    ET.ElementTree(custom_fix44(read_builtin("FIX.4.4"))).write(path, encoding="utf-8", xml_declaration=True)
    return path


# ----------------------------------------------------------------------------------------------------
# the dictionary itself
# ----------------------------------------------------------------------------------------------------


def test_user_dictionary_defines_custom_message(user_dictionary: Path) -> None:
    raw = read_xml(user_dictionary)
    spec = FixSpec(str(user_dictionary))
    custom = [row for row in raw["messages"] if row[1] == CUSTOM_MSG_TYPE]
    assert custom == [
        ["CustomNote", CUSTOM_MSG_TYPE, "app", [[FIELD, SYMBOL_TAG, True], [FIELD, NOTE_TEXT_TAG, False]]]
    ]
    assert spec.tags.by_tag(NOTE_TEXT_TAG).name == "NoteText"
    # the XML lists U1 under <messages> only, not among the <value>s of MsgType(35); as in QuickFIX, declaring
    # the message makes it a valid MsgType value (else the validator answers 373=5 on tag 35)
    msg_type_values = {value for value, _ in spec.tags.by_tag(35).values}
    listed = {value.get("enum") for value in ET.parse(user_dictionary).iterfind("fields/field/value")}
    assert CUSTOM_MSG_TYPE not in listed
    assert CUSTOM_MSG_TYPE in msg_type_values
    # the built-in order messages are not in the user's dictionary: only what it declares is known
    assert "D" not in {row[1] for row in raw["messages"]}


# ----------------------------------------------------------------------------------------------------
# end to end over loopback TCP
# ----------------------------------------------------------------------------------------------------


class NoteTaker(RecordingApplication):
    """Records the U1 messages its registered "U1" handler receives."""

    def __init__(self) -> None:
        super().__init__()
        self.notes: asyncio.Queue[Any] = asyncio.Queue()
        self.register_handler(CUSTOM_MSG_TYPE, self._on_note)

    def _on_note(self, message: Any, sessionID: Any) -> None:
        self.notes.put_nowait(message)


def _user_settings(dictionary: Path) -> dict[str, str]:
    """Both engines' settings: the user's dictionary through QuickFIX's DataDictionary key."""
    return {"DataDictionary": str(dictionary)}


def _note(engine: Any, fields: dict[int, str]) -> Any:
    """A U1 for ``engine``'s session with the given body fields (tag number -> value)."""
    return engine.fixmsg({35: CUSTOM_MSG_TYPE, **fields})


async def _rejects_of(app: RecordingApplication, count: int) -> list[Any]:
    """Wait (bounded) until ``app`` received ``count`` Reject (35=3) messages; returns them."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ARRIVAL_TIMEOUT
    while app.admin_count("3") < count:
        if loop.time() > deadline:
            raise TimeoutError(f"{app.admin_count('3')} of {count} Reject(35=3) messages arrived "
                               f"within {ARRIVAL_TIMEOUT} s")  # fmt: skip
        await asyncio.sleep(0.02)
    return [m for m in app.admin_received if m.get(35) == "3"]


def test_custom_message_reaches_registered_handler(user_dictionary: Path) -> None:
    acceptor_app, initiator_app = NoteTaker(), RecordingApplication()

    async def scenario() -> Any:
        async with loopback_pair(
            acceptor_app, initiator_app, settings={"DataDictionary": str(user_dictionary)}
        ) as pair:
            await pair.initiator.send_message(
                _note(pair.initiator, {SYMBOL_TAG: "EUR/USD", NOTE_TEXT_TAG: "hello custom"})
            )
            return await asyncio.wait_for(acceptor_app.notes.get(), ARRIVAL_TIMEOUT)

    note = run_bounded(scenario())
    assert note.get(35) == CUSTOM_MSG_TYPE
    assert note.get(NOTE_TEXT_TAG) == "hello custom"
    assert note.get(SYMBOL_TAG) == "EUR/USD"
    # it passed validation: no session-level Reject came back to the sender
    assert initiator_app.admin_count("3") == 0


def test_custom_message_missing_required_field_is_rejected(user_dictionary: Path) -> None:
    acceptor_app, initiator_app = NoteTaker(), RecordingApplication()

    async def scenario() -> list[Any]:
        async with loopback_pair(
            acceptor_app, initiator_app, settings={"DataDictionary": str(user_dictionary)}
        ) as pair:
            await pair.initiator.send_message(_note(pair.initiator, {NOTE_TEXT_TAG: "no symbol"}))
            rejects = await _rejects_of(initiator_app, 1)
            # the session stays up: a valid U1 after the Reject still reaches the handler
            await pair.initiator.send_message(
                _note(pair.initiator, {SYMBOL_TAG: "GBP/USD", NOTE_TEXT_TAG: "after reject"})
            )
            await asyncio.wait_for(acceptor_app.notes.get(), ARRIVAL_TIMEOUT)
            return rejects

    rejects = run_bounded(scenario())
    assert len(rejects) == 1
    reject = rejects[0]
    # FIX 4.4 Reject(35=3): SessionRejectReason(373)=1 "Required tag missing", RefTagID(371) names Symbol(55),
    # RefMsgType(372) the custom type
    assert str(reject.get(373)) == "1"
    assert str(reject.get(371)) == str(SYMBOL_TAG)
    assert reject.get(372) == CUSTOM_MSG_TYPE
    # the invalid U1 never reached the application; only the valid one did
    assert acceptor_app.notes.empty()
    assert [m.get(NOTE_TEXT_TAG) for m in acceptor_app.received] == ["after reject"]
