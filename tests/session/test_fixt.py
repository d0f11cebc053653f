"""FIXT.1.1 sessions carrying FIX 5.0 application messages: DefaultApplVerID(1137) on Logon, the dictionary of
each message chosen by ApplVerID(1128), admin messages judged by the transport dictionary (FIXT11)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from pyfixmsg_plus.config import ConfigManager
from pyfixmsg_plus.engine.building import SpecCache, build_session_config
from pyfixmsg_plus.message.dictionary import load_builtin
from pyfixmsg_plus.message.encoder import encode_message, format_utc_timestamp
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

T0 = 1_700_000_000.0
US, THEM = "ISLD", "TW"
FIXT11 = "FIXT.1.1"
LOGON_BODY = ((98, 0), (108, 30))
ORDER_BODY = ((11, "C1"), (54, "1"), (60, "20231114-22:13:20.000"), (38, 100), (40, "1"), (55, "EUR/USD"))


# ---------------------------------------------------------------------- dictionaries (loaded once per run)
@functools.cache
def real_validator(name: str) -> Validator:
    return Validator(load_builtin(name))


class Recording:
    """A validator that notes every message it is asked about and delegates to a real one."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: list[str] = []

    def validate(self, pairs: list[tuple[int, bytes]]) -> None:
        self.seen.append(dict(pairs)[35].decode())
        real_validator(self.name).validate(pairs)

    def shape_spec(self, pairs: list[tuple[int, bytes]]) -> Any:
        return real_validator(self.name).shape_spec(pairs)


def real_dictionaries() -> FixtDictionaries:
    """Transport FIXT.1.1, application FIX 5.0 SP2 (9) and FIX 4.4 (6, merged with the transport)."""
    return FixtDictionaries(
        real_validator("FIXT.1.1"), {"9": lambda: real_validator("FIX.5.0SP2")}, default_appl_ver_id="9"
    )


def recording_dictionaries() -> tuple[FixtDictionaries, dict[str, Recording]]:
    spies = {"transport": Recording("FIXT.1.1"), "9": Recording("FIX.5.0SP2"), "6": Recording("FIX.5.0SP2")}
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
    assert "ApplVerID(1128)=7" in reject[58]
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
    assert dictionaries.supported == ["4", "6", "9"]
    session = Session(build_session_config(settings), dictionaries)
    session.connection_made(T0)
    out = session.receive_data(logon(default="9"), T0)
    assert session.state is SessionState.ACTIVE and sent(out)[0][1137] == "9"
    assert received(session.receive_data(order(2, appl_ver_id="9"), T0))
    # a FIX 4.4 application message on the FIXT.1.1 session: judged by FIX 4.4 with the FIXT.1.1 header
    assert received(session.receive_data(order(3, appl_ver_id="6"), T0))
    [reject] = sent(session.receive_data(order(4, appl_ver_id="7"), T0))
    assert (reject[371], reject[373]) == ("1128", "5")


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
