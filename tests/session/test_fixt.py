"""FIXT.1.1 sessions carrying FIX 5.0 application messages: DefaultApplVerID(1137) on Logon, the dictionary of
each message chosen by ApplVerID(1128), admin messages judged by the transport dictionary (FIXT11)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyfixmsg_plus.config import ConfigManager
from pyfixmsg_plus.engine.building import SpecCache, build_session_config
from pyfixmsg_plus.message.dictionary import load_builtin
from pyfixmsg_plus.message.encoder import encode_message, format_utc_timestamp
from pyfixmsg_plus.message.errors import TagSpecifiedWithoutValue
from pyfixmsg_plus.message.parser_py import parse_pairs
from pyfixmsg_plus.message.validation import Validator
from pyfixmsg_plus.session import (
    Disconnect,
    LoggedOn,
    MessageReceived,
    Output,
    RejectSent,
    SendFrame,
    Session,
    SessionConfig,
    SessionState,
    fixt,
)
from pyfixmsg_plus.session.fixt import ApplVerValidator, FixtDictionaries, UnsupportedApplVerID
from pyfixmsg_plus.session.validation import QUOTED_VALUE_LIMIT, quote_received

T0 = 1_700_000_000.0
US, THEM = "ISLD", "TW"
FIXT11 = "FIXT.1.1"
LOGON_BODY = ((98, 0), (108, 30))
ORDER_BODY = ((11, "C1"), (54, "1"), (60, "20231114-22:13:20.000"), (38, 100), (40, "1"), (55, "EUR/USD"))


# ---------------------------------------------------------------------- dictionaries (loaded once per run)
@functools.cache
def real_validator(name: str, out_of_order: bool = True) -> Validator:
    """The built-in dictionary ``name``; ``out_of_order=False`` as ValidateFieldsOutOfOrder=N."""
    return Validator(load_builtin(name), check_fields_out_of_order=out_of_order)


class Recording:
    """A validator that notes every message it is asked about (``seen``) or learns a shape from (``shaped``),
    and delegates to a real one."""

    def __init__(self, name: str, out_of_order: bool = True) -> None:
        self.name = name
        self.out_of_order = out_of_order
        self.seen: list[str] = []
        self.shaped: list[str] = []

    def validate(self, pairs: list[tuple[int, bytes]]) -> None:
        self.seen.append(dict(pairs)[35].decode())
        real_validator(self.name, self.out_of_order).validate(pairs)

    def shape_spec(self, pairs: list[tuple[int, bytes]]) -> Any:
        self.shaped.append(dict(pairs)[35].decode())
        return real_validator(self.name, self.out_of_order).shape_spec(pairs)


def real_dictionaries() -> FixtDictionaries:
    """Transport FIXT.1.1, application FIX 5.0 SP2 (9) and FIX 4.4 (6, merged with the transport)."""
    return FixtDictionaries(
        real_validator("FIXT.1.1"), {"9": lambda: real_validator("FIX.5.0SP2")}, default_appl_ver_id="9"
    )


def recording_dictionaries(out_of_order: bool = True) -> tuple[FixtDictionaries, dict[str, Recording]]:
    spies = {
        "transport": Recording("FIXT.1.1", out_of_order),
        "9": Recording("FIX.5.0SP2", out_of_order),
        "6": Recording("FIX.5.0SP2", out_of_order),
    }
    applications = {"9": lambda: spies["9"], "6": lambda: spies["6"]}
    return FixtDictionaries(spies["transport"], applications), spies


# ---------------------------------------------------------------------- frames and outputs
def ts(now: float) -> str:
    return format_utc_timestamp(int(now * 1e9), "ms").decode()


def msg(msg_type: str, seqnum: int, *body: tuple[int, object], header: Sequence = (), begin: str = FIXT11) -> bytes:
    """A frame from the counterparty (49=THEM, 56=US); ``header`` fields go between 34 and 49 (ApplVerID)."""
    fields = [(35, msg_type), *header, (34, seqnum), (49, THEM), (52, ts(T0)), (56, US), *body]
    return encode_message(begin, fields)


def logon(seqnum: int = 1, default: str | None = "9", begin: str = FIXT11) -> bytes:
    extra = () if default is None else ((1137, default),)
    return msg("A", seqnum, *LOGON_BODY, *extra, begin=begin)


def order(seqnum: int, appl_ver_id: str | None = None, side: str = "1", begin: str = FIXT11) -> bytes:
    header = () if appl_ver_id is None else ((1128, appl_ver_id),)
    body = [(t, side) if t == 54 else (t, v) for t, v in ORDER_BODY]
    return msg("D", seqnum, *body, header=header, begin=begin)


def sent(outputs: Sequence[Output]) -> list[dict[int, str]]:
    """The frames written, as dicts of their first values."""
    out = []
    for o in outputs:
        if isinstance(o, SendFrame):
            d: dict[int, str] = {}
            for t, v in parse_pairs(o.frame):
                d.setdefault(t, v.decode())
            out.append(d)
    return out


def received(outputs: Sequence[Output]) -> list[MessageReceived]:
    return [o for o in outputs if isinstance(o, MessageReceived) and not o.is_admin]


def acceptor(validator: Any = None, begin: str = FIXT11) -> Session:
    extra = ((1137, "9"),) if begin == FIXT11 else ()
    session = Session(SessionConfig(begin, US, THEM, logon_extra_fields=extra), validator)
    session.connection_made(T0)
    return session


def logged_on(validator: Any = None, default: str = "9") -> Session:
    session = acceptor(validator)
    out = session.receive_data(logon(default=default), T0)
    assert session.state is SessionState.ACTIVE, out
    return session


# ---------------------------------------------------------------------- Logon and DefaultApplVerID(1137)
@pytest.mark.parametrize("dictionaries", [None, "real"], ids=["no-dictionary", "FIXT11+FIX50SP2"])
def test_logon_without_default_appl_ver_id_is_refused_with_logout(dictionaries: str | None) -> None:
    session = acceptor(real_dictionaries() if dictionaries else None)
    out = session.receive_data(logon(default=None), T0)
    [logout] = sent(out)
    assert logout[35] == "5"
    assert "1137" in logout[58] and "Required tag missing" in logout[58]
    assert any(isinstance(o, Disconnect) and "1137" in o.reason for o in out)
    assert not any(isinstance(o, LoggedOn) for o in out)
    assert session.state is not SessionState.ACTIVE
    assert session.target_default_appl_ver_id is None


@pytest.mark.parametrize("dictionaries", [None, "real"], ids=["no-dictionary", "FIXT11+FIX50SP2"])
def test_logon_with_default_appl_ver_id_goes_active_and_remembers_it(dictionaries: str | None) -> None:
    session = acceptor(real_dictionaries() if dictionaries else None)
    out = session.receive_data(logon(default="9"), T0)
    assert session.state is SessionState.ACTIVE
    assert session.target_default_appl_ver_id == "9"
    [answer] = sent(out)
    assert answer[35] == "A" and answer[8] == FIXT11 and answer[1137] == "9"  # ours, from logon_extra_fields
    assert any(isinstance(o, LoggedOn) for o in out)
    if dictionaries:
        assert session.appl_ver is not None and session.appl_ver.counterparty_default == b"9"


def test_logon_naming_a_version_without_dictionary_is_refused() -> None:
    session = acceptor(real_dictionaries())
    out = session.receive_data(logon(default="7"), T0)
    [logout] = sent(out)
    assert logout[35] == "5"
    assert "DefaultApplVerID(1137)='7'" in logout[58] and "9 (FIX.5.0SP2)" in logout[58]
    assert session.state is not SessionState.ACTIVE


def test_a_new_logon_replaces_the_remembered_default() -> None:
    dictionaries, spies = recording_dictionaries()
    session = logged_on(dictionaries, default="9")
    for seqnum in (2, 3, 4):  # the shape of an order without 1128 is learnt: later ones take the fast path
        assert received(session.receive_data(order(seqnum), T0))
    assert spies["9"].seen == ["D"]
    session.connection_lost(T0)
    session.connection_made(T0)
    session.receive_data(logon(seqnum=5, default="6"), T0)
    assert session.target_default_appl_ver_id == "6"
    # the learnt shapes were judged by FIX 5.0 SP2: forgotten, the next order is judged by version 6
    out = session.receive_data(order(6), T0)
    assert len(received(out)) == 1
    assert spies["9"].seen == ["D"] and spies["6"].seen == ["D"]


# ---------------------------------------------------------------------- which dictionary judges a message
def test_application_message_with_appl_ver_id_9_is_validated_against_fix50sp2() -> None:
    session = logged_on(real_dictionaries())
    out = session.receive_data(order(2, appl_ver_id="9"), T0)
    [delivered] = received(out)
    assert delivered.msg_type == "D" and delivered.seqnum == 2
    # Side(54)=Z is no Side of FIX 5.0 SP2: the SP2 dictionary judged the message
    out = session.receive_data(order(3, appl_ver_id="9", side="Z"), T0)
    [reject] = sent(out)
    assert (reject[35], reject[45], reject[371], reject[373]) == ("3", "3", "54", "5")
    assert session.next_target_seqnum == 4 and session.state is SessionState.ACTIVE


def test_messages_are_judged_by_their_appl_ver_id_else_the_counterpartys_default() -> None:
    dictionaries, spies = recording_dictionaries()
    session = logged_on(dictionaries, default="6")
    session.receive_data(order(2, appl_ver_id="9"), T0)
    session.receive_data(order(3), T0)  # no 1128: DefaultApplVerID 6
    session.receive_data(msg("0", 4), T0)  # Heartbeat: transport
    session.receive_data(msg("1", 5, (112, "T")), T0)  # TestRequest: transport
    assert spies["9"].seen == ["D"]
    assert spies["6"].seen == ["D"]
    assert spies["transport"].seen == ["A", "0", "1"]
    assert session.next_target_seqnum == 6


def test_unknown_appl_ver_id_gets_a_reject_naming_1128() -> None:
    session = logged_on(real_dictionaries())
    out = session.receive_data(order(2, appl_ver_id="7"), T0)
    [reject] = sent(out)
    assert reject[35] == "3"
    assert (reject[45], reject[371], reject[372], reject[373]) == ("2", "1128", "D", "5")
    assert reject[58].startswith("Value is incorrect (out of range) for this tag")
    assert "ApplVerID(1128)='7'" in reject[58]
    assert [(r.reason, r.ref_seqnum) for r in out if isinstance(r, RejectSent)] == [(5, 2)]
    assert not received(out)
    # the rejected message used up its number (FIX: Reject increments the expected MsgSeqNum); still Active
    assert session.next_target_seqnum == 3 and session.state is SessionState.ACTIVE
    assert received(session.receive_data(order(3, appl_ver_id="9"), T0))


def test_appl_ver_id_value_that_is_no_version_gets_the_same_reject() -> None:
    session = logged_on(real_dictionaries())
    [reject] = sent(session.receive_data(order(2, appl_ver_id="X\x02"), T0))
    assert (reject[35], reject[371], reject[373]) == ("3", "1128", "5")


def test_a_dictionary_that_fails_to_load_rejects_its_messages_instead_of_crashing() -> None:
    def broken() -> Validator:
        raise OSError("FIX50SP1.xml: no such file")

    applications = {"9": lambda: real_validator("FIX.5.0SP2"), "8": broken}
    dictionaries = FixtDictionaries(real_validator("FIXT.1.1"), applications)
    session = logged_on(dictionaries)
    [reject] = sent(session.receive_data(order(2, appl_ver_id="8"), T0))
    assert (reject[35], reject[371], reject[373]) == ("3", "1128", "5")
    assert dictionaries.supported == ["9"]


def test_fast_path_shapes_keep_their_appl_ver_id() -> None:
    """A shape learnt from a message with 1128=9 never lets a message with 1128=6 past its dictionary."""
    dictionaries, spies = recording_dictionaries()
    session = logged_on(dictionaries)
    for seqnum in (2, 3, 4):  # the first walks the slow path, the next take the fast path
        assert received(session.receive_data(order(seqnum, appl_ver_id="9"), T0))
    assert spies["9"].seen == ["D"]  # the fast path did engage
    out = session.receive_data(order(5, appl_ver_id="6"), T0)
    assert len(received(out)) == 1
    assert spies["6"].seen == ["D"]


def test_shape_spec_pins_appl_ver_id_to_its_value() -> None:
    view = ApplVerValidator(real_dictionaries())
    view.counterparty_default = b"9"
    pairs = parse_pairs(order(2, appl_ver_id="9"))
    spec = view.shape_spec(pairs)
    assert spec is not None and len(spec) == len(pairs)
    position = [t for t, _ in pairs].index(1128)
    assert spec[position] == ("equal", b"9")
    assert view.shape_spec(parse_pairs(order(2, appl_ver_id="7"))) is None


def test_dictionaries_outside_a_session_use_our_own_default() -> None:
    dictionaries = real_dictionaries()
    dictionaries.validate(parse_pairs(order(2)))  # no 1128: DefaultApplVerID 9 (ours), valid
    with pytest.raises(UnsupportedApplVerID, match=r"ApplVerID\(1128\)='7'"):
        dictionaries.validate(parse_pairs(order(2, appl_ver_id="7")))
    assert fixt.header_version(parse_pairs(order(2, appl_ver_id="9"))) == ("D", b"9")


def test_empty_appl_ver_id_gets_reject_tag_specified_without_value() -> None:
    """QuickFIX answers ``1128=`` with SessionRejectReason(373)=4, not 5: the field has no value at all."""
    session = logged_on(real_dictionaries())
    out = session.receive_data(order(2, appl_ver_id=""), T0)
    [reject] = sent(out)
    assert (reject[35], reject[45], reject[371], reject[373]) == ("3", "2", "1128", "4")
    assert reject[58].startswith("Tag specified without a value")
    assert not received(out)
    assert session.next_target_seqnum == 3 and session.state is SessionState.ACTIVE


def test_empty_appl_ver_id_outside_a_session_and_in_shapes() -> None:
    empty = parse_pairs(order(2, appl_ver_id=""))
    with pytest.raises(TagSpecifiedWithoutValue) as raised:
        real_dictionaries().validate(empty)
    assert (raised.value.tag, raised.value.reason) == (1128, 4)
    view = ApplVerValidator(real_dictionaries())
    view.counterparty_default = b"9"
    assert view.shape_spec(empty) is None  # rejected, so never a shape for the fast path


def body_order(seqnum: int, appl_ver_id: str) -> bytes:
    """An order whose ApplVerID(1128) comes after the body fields (allowed when ValidateFieldsOutOfOrder=N)."""
    return msg("D", seqnum, *ORDER_BODY, (1128, appl_ver_id))


def test_appl_ver_id_among_body_fields_picks_no_dictionary_in_either_path() -> None:
    """Only the header's 1128 names the version: the slow path's validation and the fast path's shape are
    both of the default version (9), never the body's 1128=6."""
    dictionaries, spies = recording_dictionaries(out_of_order=False)
    session = logged_on(dictionaries, default="9")
    for seqnum in (2, 3, 4):
        assert received(session.receive_data(body_order(seqnum, "6"), T0))
    assert spies["6"].seen == [] and spies["6"].shaped == []
    assert spies["9"].seen == ["D"] and spies["9"].shaped == ["D"]
    assert fixt.header_version(parse_pairs(body_order(2, "6"))) == ("D", None)


# ---------------------------------------------------------------------- hostile values are quoted short
HUGE = 100_000


@pytest.mark.parametrize("dictionaries", [None, "real"], ids=["no-dictionary", "FIXT11+FIX50SP2"])
def test_huge_default_appl_ver_id_is_quoted_short(dictionaries: str | None, caplog: pytest.LogCaptureFixture) -> None:
    """A 100 kB DefaultApplVerID(1137) is neither echoed in the Logout Text(58) nor written to the log."""
    caplog.set_level(logging.INFO, logger="pyfixmsg_plus.session")
    session = acceptor(real_dictionaries() if dictionaries else None)
    out = session.receive_data(logon(default="7" * HUGE), T0)
    texts = [record.getMessage() for record in caplog.records]
    assert texts and all(len(text) < 300 for text in texts)
    if dictionaries:  # refused: no dictionary for that version
        [logout] = sent(out)
        assert logout[35] == "5" and len(logout[58]) < 200
        assert f"({HUGE} characters)" in logout[58] and "9 (FIX.5.0SP2)" in logout[58]
        assert any(isinstance(o, Disconnect) and len(o.reason) < 200 for o in out)
    else:  # no dictionary to judge it: accepted, and logged short at INFO
        assert session.state is SessionState.ACTIVE
        assert any(f"({HUGE} characters)" in text for text in texts)


def test_huge_appl_ver_id_is_quoted_short(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="pyfixmsg_plus.session")
    session = logged_on(real_dictionaries())
    out = session.receive_data(order(2, appl_ver_id="9" * HUGE), T0)
    [reject] = sent(out)
    assert (reject[371], reject[373]) == ("1128", "5")
    assert len(reject[58]) < 200 and f"({HUGE} characters)" in reject[58]
    assert [len(r.text) < 200 for r in out if isinstance(r, RejectSent)] == [True]
    [warning] = [record.getMessage() for record in caplog.records]
    assert len(warning) < 300 and f"({HUGE} characters)" in warning


def test_other_logon_values_are_quoted_short_in_logout_and_disconnect() -> None:
    """EncryptMethod(98) goes into the Logout Text(58); SenderCompID(49) into the Disconnect reason (no
    dictionary, which would refuse both values before they are read)."""
    session = acceptor(None)
    out = session.receive_data(msg("A", 1, (98, "9" * HUGE), (108, 30), (1137, "9")), T0)
    [logout] = sent(out)
    assert logout[35] == "5" and len(logout[58]) < 200 and f"({HUGE} characters)" in logout[58]
    session = acceptor(None)
    stranger = [(35, "A"), (34, 1), (49, "S" * HUGE), (52, ts(T0)), (56, US), *LOGON_BODY, (1137, "9")]
    out = session.receive_data(encode_message(FIXT11, stranger), T0)
    [disconnect] = [o for o in out if isinstance(o, Disconnect)]
    assert len(disconnect.reason) < 300 and f"({HUGE} characters)" in disconnect.reason


def test_unsupported_appl_ver_id_text_is_short() -> None:
    error = UnsupportedApplVerID("8" * HUGE, 1128, ["9"])
    assert len(error.text) < 200 and str(error) == error.text


def test_quote_received_keeps_short_values_whole() -> None:
    assert quote_received(b"7") == "'7'"
    assert quote_received("\xe9") == "'\xe9'"
    assert quote_received(b"a\nb") == "'a\\nb'"  # a newline cannot start a forged log line
    cut = quote_received("x" * 33)
    assert cut == f"'{'x' * QUOTED_VALUE_LIMIT}'... (33 characters)"


@given(st.binary(max_size=200))
def test_quote_received_is_bounded_and_starts_with_the_value(value: bytes) -> None:
    quoted = quote_received(value)
    text = value.decode("latin-1")
    # repr escapes a character to at most 4 (\xNN); the suffix names the length
    assert len(quoted) <= 4 * QUOTED_VALUE_LIMIT + 2 + len("... (200 characters)")
    assert quoted.startswith(repr(text[:QUOTED_VALUE_LIMIT])[:-1])
    assert (quoted == repr(text)) is (len(text) <= QUOTED_VALUE_LIMIT)


# ---------------------------------------------------------------------- FIX 4.x sessions are unchanged
def test_fix44_session_never_looks_at_appl_ver_id(monkeypatch: pytest.MonkeyPatch) -> None:
    def looked(*args: object, **kwargs: object) -> None:
        raise AssertionError("a FIX 4.4 session chose a dictionary by ApplVerID(1128)")

    for owner in (FixtDictionaries, ApplVerValidator):
        monkeypatch.setattr(owner, "select", looked)
    monkeypatch.setattr(fixt, "header_version", looked)
    spy = Recording("FIX.4.4")
    session = acceptor(spy, begin="FIX.4.4")
    session.receive_data(logon(default=None, begin="FIX.4.4"), T0)
    assert session.state is SessionState.ACTIVE
    assert session.appl_ver is None and session.target_default_appl_ver_id is None
    # 1128 is no FIX 4.4 tag: the 4.4 dictionary judges it (Reject 373=0/2/3), never as an application version
    out = session.receive_data(order(2, appl_ver_id="7", begin="FIX.4.4"), T0)
    [reject] = sent(out)
    assert reject[35] == "3" and reject[371] == "1128" and reject[373] != "5"
    assert spy.seen == ["A", "D"]
    assert received(session.receive_data(order(3, begin="FIX.4.4"), T0))


# ---------------------------------------------------------------------- the engine's builders
def fixt_settings(**extra: str) -> Any:
    config = ConfigManager.from_dict({
        "DEFAULT": {"ConnectionType": "acceptor", "SocketAcceptPort": 9000, "BeginString": FIXT11,
                    "DefaultApplVerID": "9", **extra},
        "SESSION": [{"SenderCompID": US, "TargetCompID": THEM}],
    })  # fmt: skip
    [settings] = config.sessions()
    return settings


def test_spec_cache_gives_fixt_sessions_a_dictionary_per_application_version() -> None:
    settings = fixt_settings()
    cache = SpecCache()
    spec = cache.for_session(settings)
    assert spec.default_appl_ver_id == "9" and spec.begin_string == FIXT11
    dictionaries = cache.validator_for(settings, spec)
    assert isinstance(dictionaries, FixtDictionaries)
    assert cache.validator_for(settings, spec) is dictionaries  # shared by the sessions of these settings
    assert dictionaries.supported == ["2", "3", "4", "5", "6", "7", "8", "9"]  # FIX 4.0 to 5.0 SP2 built in
    session = Session(build_session_config(settings), dictionaries)
    session.connection_made(T0)
    out = session.receive_data(logon(default="9"), T0)
    assert session.state is SessionState.ACTIVE and sent(out)[0][1137] == "9"
    assert received(session.receive_data(order(2, appl_ver_id="9"), T0))
    # a FIX 4.4 application message on the FIXT.1.1 session: judged by FIX 4.4 with the FIXT.1.1 header
    assert received(session.receive_data(order(3, appl_ver_id="6"), T0))
    # FIX 5.0 and 5.0 SP1 have built-in dictionaries too
    assert received(session.receive_data(order(4, appl_ver_id="7"), T0))
    assert received(session.receive_data(order(5, appl_ver_id="8"), T0))
    # an ApplVerID naming no FIX version (10 would be a later extension pack) has no dictionary
    [reject] = sent(session.receive_data(order(6, appl_ver_id="10"), T0))
    assert (reject[371], reject[373]) == ("1128", "5")
    [reject] = sent(session.receive_data(order(7, appl_ver_id="7", side="Z"), T0))
    assert (reject[371], reject[373]) == ("54", "5")  # judged by the FIX 5.0 dictionary, not waved through


def test_spec_cache_without_data_dictionary_gives_no_validator() -> None:
    settings = fixt_settings(UseDataDictionary="N")
    cache = SpecCache()
    assert cache.validator_for(settings, cache.for_session(settings)) is None


def test_spec_cache_reads_quickfix_transport_and_application_dictionaries(shared_dir: Path) -> None:
    """TransportDataDictionary/AppDataDictionary given as QuickFIX XML files: the application file is merged
    with the transport one and serves its own version (9); admin messages are judged by FIXT11.xml."""
    spec_dir = shared_dir / "spec"
    settings = fixt_settings(TransportDataDictionary=str(spec_dir / "FIXT11.xml"),
                             AppDataDictionary=str(spec_dir / "FIX50SP2.xml"))  # fmt: skip
    cache = SpecCache()
    spec = cache.for_session(settings)
    assert spec.source == str(spec_dir / "FIX50SP2.xml")
    assert spec.begin_string == FIXT11 and 1128 in spec.header.member_tags
    dictionaries = cache.validator_for(settings, spec)
    assert isinstance(dictionaries, FixtDictionaries) and "9" in dictionaries.supported
    assert getattr(dictionaries.for_version(b"9"), "spec", None) is spec
    transport = dictionaries.transport
    assert isinstance(transport, Validator) and transport.spec.source == str(spec_dir / "FIXT11.xml")
    session = Session(build_session_config(settings), dictionaries)
    session.connection_made(T0)
    session.receive_data(logon(default="9"), T0)
    assert session.state is SessionState.ACTIVE
    assert received(session.receive_data(order(2, appl_ver_id="9"), T0))
    [reject] = sent(session.receive_data(order(3, side="Z"), T0))
    assert (reject[371], reject[373]) == ("54", "5")
