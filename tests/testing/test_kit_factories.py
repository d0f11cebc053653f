"""MessageFactory: every message type of every built-in dictionary comes out valid, fixed and random."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings

from pyfixmsg_plus.message.dictionary import load_builtin
from pyfixmsg_plus.testing import MessageFactory, validation_errors
from pyfixmsg_plus.testing.factories import _allowed_counts

DICTIONARIES = ["FIX.4.0", "FIX.4.1", "FIX.4.2", "FIX.4.3", "FIX.4.4", "FIX.5.0", "FIX.5.0SP1", "FIX.5.0SP2"]
FIX44 = MessageFactory("FIX.4.4", sender="CLIENT", target="EXEC")


@pytest.mark.parametrize("name", DICTIONARIES)
def test_every_message_type_is_valid_with_fixed_values(name: str) -> None:
    factory = MessageFactory(name)
    invalid = {t: validation_errors(factory.build(t), factory.spec) for t in factory.msg_types}
    assert {t: [e.text for e in errs] for t, errs in invalid.items() if errs} == {}
    assert len(factory.msg_types) > 25  # FIX 4.0 has 27 message types, 5.0 SP2 over 100


@pytest.mark.parametrize("name", DICTIONARIES)
def test_every_message_type_is_valid_with_random_values(name: str) -> None:
    factory = MessageFactory(name)
    rng = random.Random(20240603)
    invalid = {}
    for msg_type in factory.msg_types:
        for _ in range(3):
            errors = validation_errors(factory.random(msg_type, rng), factory.spec)
            if errors:
                invalid[msg_type] = [e.text for e in errors]
    assert invalid == {}


def test_build_sets_header_and_keeps_given_fields() -> None:
    factory = MessageFactory("FIX.4.4", sender="CLIENT", target="EXEC", first_seqnum=7)
    order = factory.build("D", {11: "ORD1", 55: "EUR/USD"})
    assert (order[8], order[35], order[49], order[56], order[34]) == ("FIX.4.4", "D", "CLIENT", "EXEC", 7)
    assert (order[11], order[55]) == ("ORD1", "EUR/USD")
    assert order[54] in {v for v, _ in factory.spec.tags.by_tag(54).values}  # Side from its enumeration
    assert factory.build("0")[34] == 8  # MsgSeqNum counts up


def test_random_messages_hold_optional_fields_and_groups() -> None:
    rng = random.Random(1)
    reports = [FIX44.random("8", rng) for _ in range(30)]
    tags_seen = set().union(*(set(r.keys()) for r in reports))
    required = set(FIX44.spec.msg_types["8"].required_tags)
    assert tags_seen - required - {8, 34, 35, 49, 52, 56}  # optional fields appear
    groups = set(FIX44.spec.msg_types["8"].groups)
    assert any(isinstance(r.get(tag), list) for r in reports for tag in groups)


def test_same_seed_same_message() -> None:
    fixed = "20240603-12:00:00.000"
    first = MessageFactory("FIX.4.4", sending_time=fixed).random("AE", random.Random(5))
    second = MessageFactory("FIX.4.4", sending_time=fixed).random("AE", random.Random(5))
    assert first.items() == second.items()
    assert first[52] == fixed


def test_sending_time_is_now_by_default() -> None:
    import datetime

    sent = datetime.datetime.strptime(FIX44.build("0")[52], "%Y%m%d-%H:%M:%S.%f").replace(tzinfo=datetime.UTC)
    assert abs((datetime.datetime.now(datetime.UTC) - sent).total_seconds()) < 60


def test_encode_gives_a_frame_with_length_and_checksum() -> None:
    frame = FIX44.encode(FIX44.build("D", {11: "X"}))
    assert frame.startswith(b"8=FIX.4.4\x019=") and frame.endswith(b"\x01")
    body = frame[frame.index(b"\x01", 10) + 1 : frame.rindex(b"10=")]
    assert int(frame.split(b"\x01")[1][2:]) == len(body)
    assert int(frame[-4:-1]) == sum(frame[: frame.rindex(b"10=")]) % 256


def test_unknown_message_type_is_named() -> None:
    with pytest.raises(KeyError, match=re.escape("'ZZ' is not a message of builtin:FIX.4.4")):
        FIX44.build("ZZ")


def test_group_counts_respect_an_enumerated_count_field() -> None:
    no_sides = load_builtin("FIX.4.4").tags.by_tag(552)  # NoSides: 1 or 2
    assert _allowed_counts(no_sides, 3) == [1, 2]


@settings(max_examples=40, deadline=None)
@given(FIX44.messages())
def test_strategy_of_any_type_gives_valid_messages(message: object) -> None:
    assert validation_errors(message, FIX44.spec) == []  # type: ignore[arg-type]


@settings(max_examples=25, deadline=None)
@given(FIX44.messages("D", {55: "EUR/USD"}))
def test_strategy_of_one_type_keeps_fixed_fields(message: object) -> None:
    assert message[35] == "D" and message[55] == "EUR/USD"  # type: ignore[index]
