"""Validation of received messages against a data dictionary: one concrete message per SessionRejectReason."""

from __future__ import annotations

import datetime as dt
import itertools
import pickle
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyfixmsg_plus.message import errors as e
from pyfixmsg_plus.message.dictionary import load_builtin
from pyfixmsg_plus.message.field_formats import checked_types, format_check
from pyfixmsg_plus.message.reference import FixSpec
from pyfixmsg_plus.message.validation import Validator

TS = "20240102-10:11:12.345"
HEADER = f"34=2|49=TW44|52={TS}|56=ISLD"
ORDER = f"11=ID|21=1|40=1|54=1|38=200|55=INTC|60={TS}"


def to_pairs(text: str) -> list[tuple[int, bytes]]:
    """``tag=value|...`` to pairs as the strict tokenizer gives them (tag 0 for a non-numeric tag)."""
    pairs = []
    for field in text.strip("|").split("|"):
        tag, _, value = field.partition("=")
        pairs.append((int(tag) if tag.isdigit() else 0, value.encode("latin-1")))
    return pairs


def message(
    body: str, msg_type: str = "D", header: str = HEADER, begin: str = "FIX.4.4"
) -> list[tuple[int, bytes]]:
    """A whole message: 8, 9, 35, the header, ``body`` and CheckSum(10); 9 and 10 are not checked here."""
    parts = [f"8={begin}", "9=100", f"35={msg_type}", header, body, "10=000"]
    return to_pairs("|".join(part for part in parts if part))


@pytest.fixture(scope="module")
def fix44() -> FixSpec:
    return load_builtin("FIX.4.4")


@pytest.fixture(scope="module")
def validator(fix44: FixSpec) -> Validator:
    return Validator(fix44)


def first_error(validator: Validator, pairs: list[tuple[int, bytes]]) -> e.FixValidationError:
    with pytest.raises(e.FixValidationError) as caught:
        validator.validate(pairs)
    assert validator.check(pairs)[0].text == caught.value.text  # validate raises the first of check()
    return caught.value


# -- valid messages --------------------------------------------------------------------------------

VALID = {
    "heartbeat": ("0", "112=PING"),
    "order": ("D", ORDER),
    "order with parties": ("D", f"{ORDER}|453=2|448=BRK|447=D|452=1|448=CLT|447=D|452=3"),
    "md request, nested group through Instrument": (
        "V",
        "262=R1|263=1|264=0|267=2|269=0|269=1|146=2|55=IBM|454=1|455=US4592001014|456=4|55=MSFT",
    ),
    "order list, groups three levels deep": (
        "E",
        "66=L1|68=2|394=1|73=2|11=A|67=1|55=IBM|54=1|40=1|78=1|79=ACC|539=1|524=X|11=B|67=2|55=MSFT|54=2|40=1",
    ),
    "snapshot": ("W", "55=IBM|268=2|269=0|270=10.5|271=100|269=1|270=10.6|271=200"),
}


@pytest.mark.parametrize("case", list(VALID))
def test_valid_messages_pass(validator: Validator, case: str) -> None:
    msg_type, body = VALID[case]
    pairs = message(body, msg_type)
    assert validator.check(pairs) == []
    assert validator.is_valid(pairs)
    validator.validate(pairs)


def test_header_group_and_trailer_fields_pass(validator: Validator) -> None:
    pairs = to_pairs(f"8=FIX.4.4|9=1|35=0|{HEADER}|627=1|628=HOP1|93=3|89=abc|10=000")
    assert validator.check(pairs) == []


def test_fix50sp2_session_dictionary() -> None:
    validator = Validator(load_builtin("FIX.5.0SP2"))
    pairs = message(f"{ORDER}", header=f"1128=9|{HEADER}", begin="FIXT.1.1")
    assert validator.check(pairs) == []
    logon = message("98=0|108=30|1137=9", msg_type="A", begin="FIXT.1.1")
    assert validator.check(logon) == []


@pytest.mark.parametrize("begin", ["FIX.4.0", "FIX.4.1"])
def test_char_fields_of_fix40_and_fix41_hold_text(begin: str) -> None:
    """FIX 4.0/4.1 type BeginString(8), ClOrdID(11) and Symbol(55) as CHAR: any text, as QuickFIX reads them."""
    validator = Validator(load_builtin(begin))
    header = HEADER.replace(f"|52={TS}", "|52=20240102-10:11:12")  # whole seconds: 4.0/4.1 know no fractions
    order = message("11=ORDER-1|21=1|55=INTC|54=1|38=200|40=1", header=header, begin=begin)
    assert validator.check(order) == []


def test_char_fields_from_fix42_hold_one_character() -> None:
    validator = Validator(load_builtin("FIX.4.2"))
    order = message(ORDER.replace("54=1", "54=12"), begin="FIX.4.2")
    [error] = validator.check(order)
    assert (error.tag, error.reason) == (54, 6)  # Incorrect data format for value


# -- one concrete message per error class ----------------------------------------------------------

ERROR_CASES: list[tuple[str, str, str, type[e.FixValidationError], int | None]] = [
    # id, MsgType, body, expected class, expected RefTagID(371)
    ("undefined tag", "0", "999=HI", e.InvalidTagNumber, 999),
    ("user-defined tag unknown to FIX 4.4", "0", "5000=HI", e.InvalidTagNumber, 5000),
    ("tag not a number", "0", "x1=HI", e.InvalidTagNumber, 0),
    ("body field missing", "D", f"21=1|40=1|54=1|55=INTC|60={TS}", e.RequiredTagMissing, 11),
    ("field of another message", "0", "55=MSFT", e.TagNotDefinedForMessageType, 55),
    ("empty value", "D", f"{ORDER}|1=", e.TagSpecifiedWithoutValue, 1),
    ("enum out of range", "D", ORDER.replace("21=1", "21=4"), e.ValueIncorrectOutOfRange, 21),
    ("multiple-value enum", "D", f"{ORDER}|18=1 T", e.ValueIncorrectOutOfRange, 18),
    ("QTY with a plus sign", "D", ORDER.replace("38=200", "38=+200.00"), e.IncorrectDataFormat, 38),
    ("UTCTIMESTAMP without time", "D", f"{ORDER}|126=20040415", e.IncorrectDataFormat, 126),
    ("repeated field", "D", f"{ORDER}|40=2", e.TagAppearsMoreThanOnce, 40),
    ("SOH in a non-data value", "D", f"{ORDER}|58=a\x01b", e.NonDataValueIncludesFieldDelimiter, 58),
    ("count above entries", "D", f"{ORDER}|386=3|336=PRE|336=POST", e.IncorrectNumInGroupCount, 386),
    ("count below entries", "D", f"{ORDER}|386=1|336=A|336=B", e.IncorrectNumInGroupCount, 386),
    ("entry without delimiter", "D", f"{ORDER}|453=1|447=D|448=BRK", e.RepeatingGroupFieldsOutOfOrder, 447),
    ("field twice in one entry", "D", f"{ORDER}|453=1|448=A|447=D|447=D",
     e.RepeatingGroupFieldsOutOfOrder, 447),
    ("nested group field in outer entry", "V",
     "262=R1|263=1|264=0|267=1|269=0|146=1|55=IBM|455=US4592001014", e.TagNotDefinedForMessageType, 455),
    ("group entry field missing", "E",
     "66=L1|68=1|394=1|73=1|11=A|55=IBM|54=1|40=1", e.RequiredTagMissing, 67),
]  # fmt: skip


@pytest.mark.parametrize(
    ("msg_type", "body", "expected", "ref_tag"),
    [case[1:] for case in ERROR_CASES],
    ids=[case[0] for case in ERROR_CASES],
)
def test_error_classes(
    validator: Validator, msg_type: str, body: str, expected: type[e.FixValidationError], ref_tag: int | None
) -> None:
    error = first_error(validator, message(body, msg_type))
    assert type(error) is expected
    assert (error.tag, error.msg_type, error.reason) == (ref_tag, msg_type, expected.reason_code)
    assert error.text.startswith(expected.summary)
    assert str(ref_tag) in error.text and repr(msg_type) in error.text


def test_required_header_field(validator: Validator) -> None:
    error = first_error(validator, message("", "0", header=f"34=2|49=TW44|52={TS}"))
    assert (type(error), error.tag) == (e.RequiredTagMissing, 56)
    assert "TargetCompID(56)" in error.text


def test_invalid_msg_type_has_no_ref_tag(validator: Validator) -> None:
    error = first_error(validator, message("", "*"))
    assert (type(error), error.tag, error.msg_type, error.reason) == (e.InvalidMsgType, None, "*", 11)


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        (f"8=FIX.4.4|35=0|9=5|{HEADER}|10=000", 9),
        (f"9=5|8=FIX.4.4|35=0|{HEADER}|10=000", 8),
        (f"8=FIX.4.4|9=5|{HEADER}|35=0|10=000", 35),
        (f"8=FIX.4.4|9=5|35=D|{ORDER}|{HEADER}|10=000", 34),  # header after the body (acceptance script 14g)
        (f"8=FIX.4.4|9=5|35=0|{HEADER}|10=000|112=LATE", 112),  # body after the trailer
    ],
    ids=["9 before 35", "8 not first", "35 late", "header after body", "body after trailer"],
)
def test_out_of_required_order(validator: Validator, text: str, tag: int) -> None:
    error = first_error(validator, to_pairs(text))
    assert (type(error), error.tag, error.reason) == (e.TagSpecifiedOutOfRequiredOrder, tag, 14)


def test_missing_msg_type(validator: Validator) -> None:
    error = first_error(validator, to_pairs(f"8=FIX.4.4|9=5|{HEADER}|10=000"))
    assert (type(error), error.tag, error.msg_type) == (e.RequiredTagMissing, 35, None)


def test_empty_msg_type(validator: Validator) -> None:
    error = first_error(validator, to_pairs(f"8=FIX.4.4|9=5|35=|{HEADER}|10=000"))
    assert (type(error), error.tag) == (e.TagSpecifiedWithoutValue, 35)


def test_check_collects_every_error(validator: Validator) -> None:
    found = validator.check(message(f"{ORDER.replace('21=1', '21=9')}|1=|999=X", "D"))
    assert [(type(x), x.tag) for x in found] == [
        (e.ValueIncorrectOutOfRange, 21),
        (e.TagSpecifiedWithoutValue, 1),
        (e.InvalidTagNumber, 999),
    ]


# -- settings --------------------------------------------------------------------------------------


def test_settings_turn_checks_off(fix44: FixSpec) -> None:
    lenient = Validator(
        fix44,
        allow_user_defined=True,
        check_enums=False,
        check_formats=False,
        check_required=False,
        check_fields_have_values=False,
        check_tag_defined_for_message=False,
    )
    body = f"{ORDER.replace('21=1', '21=9').replace('38=200', '38=+2')}|5000=X|1=|112=NOT-IN-D"
    assert lenient.check(message(body, "D")) == []
    assert lenient.check(message("21=1", "D")) == []  # required fields not checked
    assert lenient.check(message("999=X", "0")) != []  # unknown below 5000 is still an invalid tag number
    assert Validator(fix44, check_unknown_tags=False).check(message("999=X", "0")) == []


def test_out_of_order_check_can_be_off(fix44: FixSpec) -> None:
    pairs = to_pairs(f"8=FIX.4.4|9=5|35=D|{ORDER}|{HEADER}|10=000")
    assert Validator(fix44, check_fields_out_of_order=False).check(pairs) == []


# -- errors ----------------------------------------------------------------------------------------


def test_every_session_reject_reason_has_a_class() -> None:
    assert sorted(e.BY_REASON) == [*range(18), 99]
    for code, cls in e.BY_REASON.items():
        assert issubclass(cls, e.FixValidationError) and cls(1, "D").reason == code


def test_errors_pickle() -> None:
    error = e.IncorrectDataFormat(38, "D", "OrderQty(38)=b'x' is not a valid QTY", value=b"x")
    again = pickle.loads(pickle.dumps(error))
    assert (type(again), again.tag, again.msg_type, again.text, again.value) == (
        e.IncorrectDataFormat,
        38,
        "D",
        error.text,
        b"x",
    )


# -- field formats ---------------------------------------------------------------------------------

FORMATS = {
    "INT": (["0", "-12", "007"], ["", "+1", "1.0", "1e3", " 1"]),
    "SEQNUM": (["1", "123456"], ["-1", "1.0"]),
    "NUMINGROUP": (["0", "3"], ["-1", "three"]),
    "FLOAT": (["1", "-1.5", "0.", ".5", "002000.00"], ["+1", "1e5", ".", "-", "1.2.3", "NaN"]),
    "PRICE": (["10.25"], ["10,25"]),
    "CHAR": (["a", "1"], ["ab"]),
    "BOOLEAN": (["Y", "N"], ["y", "T", "YES"]),
    "UTCTIMESTAMP": (
        ["20240229-23:59:60", "20240102-10:11:12.345", "20240102-10:11:12.123456789"],
        ["20240102", "20241302-10:11:12", "20240102-24:00:00", "20240102-10:11:12.", "20240102 10:11:12"],
    ),
    "UTCTIMEONLY": (["10:11:12", "10:11:12.001"], ["10:11", "25:00:00"]),
    "UTCDATEONLY": (["20240131"], ["20240132", "2024-01-31"]),
    "LOCALMKTDATE": (["20240131"], ["240131"]),
    "MONTHYEAR": (["202401", "20240115", "202401w2"], ["202413", "202401w9", "2024"]),
    "TZTIMEONLY": (["10:11", "10:11:12Z", "10:11:12+05:30", "10:11-07"], ["10", "10:11+5"]),
    "TZTIMESTAMP": (["20240102-10:11:12Z", "20240102-10:11"], ["20240102"]),
    "DAYOFMONTH": (["1", "31"], ["0", "32"]),
}


@pytest.mark.parametrize("fix_type", list(FORMATS))
def test_field_formats(fix_type: str) -> None:
    check = format_check(fix_type)
    assert check is not None
    good, bad = FORMATS[fix_type]
    assert [v for v in good if not check(v.encode())] == []
    assert [v for v in bad if check(v.encode())] == []


def test_free_text_types_have_no_format() -> None:
    for fix_type in ("STRING", "DATA", "CURRENCY", "EXCHANGE", "MULTIPLEVALUESTRING", None):
        assert format_check(fix_type) is None
    assert "UTCTIMESTAMP" in checked_types() and "QTY" in checked_types()


@settings(max_examples=60, deadline=None)
@given(st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2999, 12, 31)))
def test_every_real_timestamp_is_a_valid_utctimestamp(moment: dt.datetime) -> None:
    check = format_check("UTCTIMESTAMP")
    assert check is not None
    assert check(moment.strftime("%Y%m%d-%H:%M:%S.%f")[:-3].encode())
    assert check(moment.strftime("%Y%m%d-%H:%M:%S").encode())


@settings(max_examples=60, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False, places=4))
def test_every_decimal_in_fixed_notation_is_a_valid_float(number: object) -> None:
    check = format_check("FLOAT")
    assert check is not None
    assert check(f"{number:f}".encode())


PAIRS = st.lists(
    st.tuples(
        st.sampled_from(
            [0, 8, 9, 10, 35, 34, 49, 52, 56, 11, 38, 55, 146, 268, 269, 270, 453, 448, 999, 5000]
        ),
        st.one_of(
            st.sampled_from([b"", b"D", b"0", b"2", b"FIX.4.4", b"1.5", b"x\x01y"]), st.binary(max_size=6)
        ),
    ),
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(PAIRS)
def test_any_pairs_give_typed_errors_and_never_crash(fix44: FixSpec, pairs: list[tuple[int, bytes]]) -> None:
    validator = Validator(fix44)
    found = validator.check(pairs)
    assert all(isinstance(x, e.FixValidationError) and x.reason in e.BY_REASON for x in found)
    assert validator.is_valid(pairs) == (found == [])


# -- fast path: a tag sequence that walked clean is re-checked by value only -------------------------

SETTINGS: dict[str, dict[str, bool]] = {
    "default": {},
    "lenient": {
        "allow_user_defined": True,
        "check_enums": False,
        "check_formats": False,
        "check_fields_have_values": False,
    },
    "no formats": {"check_formats": False},
    "no enums": {"check_enums": False},
}
BASES = [message(body, msg_type) for msg_type, body in VALID.values()]
NEW_VALUES = st.one_of(
    st.sampled_from(
        [b"", b"x\x01y", b"0", b"1", b"2", b"3", b"02", b"-1", b"1.5", b"N", b"Y", b"D", b"8", b"FIX.4.4", TS.encode()]
    ),
    st.binary(max_size=5),
)


@pytest.fixture(scope="module")
def validators(fix44: FixSpec) -> dict[str, Validator]:
    return {name: Validator(fix44, **options) for name, options in SETTINGS.items()}


def described(errors: list[e.FixValidationError]) -> list[tuple[object, ...]]:
    return [(type(x), x.tag, x.msg_type, x.reason, x.text, x.value) for x in errors]


@settings(max_examples=200, deadline=None)
@given(
    setting=st.sampled_from(list(SETTINGS)),
    base=st.sampled_from(BASES),
    changes=st.lists(st.tuples(st.integers(min_value=2, max_value=40), NEW_VALUES), max_size=3),
)
def test_fast_path_gives_the_walks_errors(
    validators: dict[str, Validator],
    setting: str,
    base: list[tuple[int, bytes]],
    changes: list[tuple[int, bytes]],
) -> None:
    validator = validators[setting]
    validator.validate(base)  # the tag sequence is now remembered as valid
    pairs = list(base)
    for position, value in changes:
        position %= len(pairs)
        pairs[position] = (pairs[position][0], value)
    expected = described(list(validator.walk(pairs)))
    assert described(validator.check(pairs)) == expected
    assert validator.is_valid(pairs) == (expected == [])


def test_same_tags_with_another_count_or_type_are_walked(validator: Validator) -> None:
    snapshot = "55=IBM|268=2|269=0|270=10.5|271=100|269=1|270=10.6|271=200"
    validator.validate(message(snapshot, "W"))
    assert validator.check(message(snapshot.replace("268=2", "268=02"), "W")) == []  # same count, other bytes
    error = first_error(validator, message(snapshot.replace("268=2", "268=3"), "W"))
    assert (type(error), error.tag) == (e.IncorrectNumInGroupCount, 268)
    error = first_error(validator, message(snapshot, "X"))  # same tags, a message type without 55 at top
    assert error.msg_type == "X"


def test_remembered_shapes_are_bounded(fix44: FixSpec, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pyfixmsg_plus.message.validation.MAX_SHAPES", 2)
    validator = Validator(fix44)
    for msg_type, body in VALID.values():
        assert validator.check(message(body, msg_type)) == []
        assert validator.is_valid(message(body, msg_type))  # by the fast path when still remembered
        assert 1 <= validator.cached_shapes <= 2


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.binary(max_size=4), st.text("0123456789-+. ", max_size=4).map(str.encode)))
def test_unsigned_types_accept_exactly_ascii_digits(value: bytes) -> None:
    for fix_type in ("LENGTH", "NUMINGROUP", "SEQNUM", "TAGNUM"):
        check = format_check(fix_type)
        assert check is not None
        assert bool(check(value)) == (re.fullmatch(rb"[0-9]+", value) is not None)


# -- QuickFIX acceptance scripts (FIX 4.4, session-level rejects) ----------------------------------

SCRIPTS = [
    "14a_BadField.def",
    "14b_RequiredFieldMissing.def",
    "14c_TagNotDefinedForMsgType.def",
    "14d_TagSpecifiedWithoutValue.def",
    "14e_IncorrectEnumValue.def",
    "14f_IncorrectDataFormat.def",
    "14g_HeaderBodyTrailerFieldsOutOfOrder.def",
    "14h_RepeatedTag.def",
    "14i_RepeatingGroupCountNotEqual.def",
    "2q_MsgTypeNotValid.def",
]


def script_exchanges(path: Path) -> list[tuple[str, dict[int, str] | None]]:
    """``(sent message, expected Reject fields or None when the message must be accepted)`` of a script."""
    lines = [ln for ln in path.read_text(encoding="latin-1").splitlines() if ln and not ln.startswith("#")]
    exchanges = []
    for sent, answer in itertools.pairwise(lines):
        if not (sent.startswith("I8=") and answer.startswith("E8=")):
            continue
        fields = dict(f.split("=", 1) for f in answer[1:].strip("\x01").split("\x01"))
        reject = (
            {int(k): v for k, v in fields.items() if k in ("371", "372", "373")}
            if fields["35"] == "3"
            else None
        )
        exchanges.append((sent[1:].replace("<TIME>", TS), reject))
    return exchanges


@pytest.mark.parametrize("script", SCRIPTS)
def test_quickfix_acceptance_rejects(shared_dir: Path, validator: Validator, script: str) -> None:
    for sent, reject in script_exchanges(shared_dir / "conformance" / "quickfix" / "fix44" / script):
        pairs = to_pairs(sent.replace("\x01", "|"))
        if all(tag != 9 for tag, _ in pairs):
            pairs.insert(1, (9, b"100"))
        if all(tag != 10 for tag, _ in pairs):
            pairs.append((10, b"000"))
        found = validator.check(pairs)
        if reject is None:
            assert found == [], sent
            continue
        assert found, sent
        first = found[0]
        assert str(first.reason) == reject[373], (sent, first)
        assert (first.msg_type or "") == reject.get(372, first.msg_type or ""), sent
        expected_tag = reject.get(371)
        if expected_tag is None:
            assert first.tag is None
        elif re.fullmatch(
            r"\d+", expected_tag
        ):  # "-1" is tokenized to tag 0, the session layer keeps the text
            assert first.tag == int(expected_tag), (sent, first)
