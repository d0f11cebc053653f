"""assert_valid and assert_fields: pass on good messages, fail with a readable field-by-field report."""

from __future__ import annotations

import pytest

from pyfixmsg_plus.message.fixmessage import FixMessage
from pyfixmsg_plus.testing import MessageFactory, assert_fields, assert_valid, field_differences, validation_errors

FACTORY = MessageFactory("FIX.4.4")


def test_valid_message_passes_as_mapping_and_as_frame() -> None:
    order = FACTORY.build("D", {11: "A"})
    assert_valid(order)
    assert_valid(FACTORY.encode(order), FACTORY.spec)


def test_report_marks_bad_value_and_lists_missing_field() -> None:
    order = FACTORY.build("D", {54: "Z"})
    del order[11]
    with pytest.raises(AssertionError) as failure:
        assert_valid(order, "FIX.4.4")
    report = str(failure.value)
    lines = report.splitlines()
    assert lines[0] == "NewOrderSingle (35=D) is not valid for FIX.4.4 (builtin:FIX.4.4): 2 errors"
    side = next(line for line in lines if " 54 " in line)
    assert side.lstrip().startswith("!") and "Side" in side and "Z" in side and "not an enumerated value" in side
    missing = lines[-1]
    assert missing.lstrip().startswith("-") and "ClOrdID" in missing and "(missing)" in missing


def test_unknown_message_type_reported_without_a_field() -> None:
    message = FixMessage({8: "FIX.4.4", 35: "ZZ", 49: "A", 56: "B", 34: 1, 52: "20240603-12:00:00"})
    errors = validation_errors(message)
    assert [type(e).__name__ for e in errors] == ["InvalidMsgType"]
    with pytest.raises(AssertionError, match=r"unknown message \(35=ZZ\)[\s\S]*\* Invalid MsgType"):
        assert_valid(message)


def test_validator_options_are_passed_through() -> None:
    order = FACTORY.build("D", {5001: "x"})  # a user-defined tag the dictionary does not know
    assert validation_errors(order)
    assert validation_errors(order, allow_user_defined=True) == []


def test_assert_fields_compares_a_subset_as_text() -> None:
    report = FixMessage({35: "8", 11: "A", 38: 100, 39: "2", 52: "20240603-12:00:00"})
    assert_fields(report, {35: "8", 38: "100", 39: "2", 52: "ignored: volatile"})
    with pytest.raises(AssertionError) as failure:
        assert_fields(report, {11: "B", 39: "2", 151: "0"}, spec="FIX.4.4")
    lines = str(failure.value).splitlines()
    assert lines[0] == "2 fields differ:"
    assert lines[2].split() == ["11", "ClOrdID", "B", "A"]
    assert lines[3].split() == ["151", "LeavesQty", "0", "(missing)"]


def test_field_differences_accept_predicates() -> None:
    message = {38: "150"}

    def over_100(value: str) -> bool:
        return float(value) > 100

    assert field_differences(message, {38: over_100}) == []
    assert field_differences({38: "50"}, {38: over_100}) == [(38, "<over_100>", "50")]
