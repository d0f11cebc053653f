"""FIXT.1.1 sessions with the user's own dictionary of one application version (QuickFIX's
``AppDataDictionary.<BeginString>``), and what the application sends with its own ApplVerID(1128).

The user's FIX 4.4 dictionary is written in the test: NewOrderSingle with the fields the orders here carry plus a
custom field OrderNote(5001), and no Account(1). Messages with 1128=6 are judged by it; 1128=9 by the built-in
FIX 5.0 SP2, which knows no 5001.
"""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path
from typing import Any

import pytest

from pyfixmsg_plus.config import ConfigManager, SessionSettings
from pyfixmsg_plus.engine.building import SpecCache, build_session_config
from pyfixmsg_plus.message.codec import Codec
from pyfixmsg_plus.message.encoder import encode_message, format_utc_timestamp
from pyfixmsg_plus.message.parser_py import parse_pairs
from pyfixmsg_plus.session import MessageReceived, Output, SendFrame, Session, SessionState
from pyfixmsg_plus.session.fixt import ApplVerCodec, FixtDictionaries, UnsupportedOutboundApplVerID

T0 = 1_700_000_000.0
US, THEM = "ISLD", "TW"
ORDER_NOTE = 5001  # the user's custom field
ACCOUNT = 1  # in the built-in FIX 4.4 NewOrderSingle, not in the user's
ORDER_BODY = ((11, "C1"), (54, "1"), (60, "20231114-22:13:20.000"), (38, 100), (40, "1"), (55, "EUR/USD"))
USER_FIX44 = """<fix type="FIX" major="4" minor="4" servicepack="0">
 <header/>
 <trailer/>
 <messages>
  <message name="NewOrderSingle" msgtype="D" msgcat="app">
   <field name="ClOrdID" required="Y"/><field name="Side" required="Y"/><field name="TransactTime" required="Y"/>
   <field name="OrderQty" required="N"/><field name="OrdType" required="Y"/><field name="Symbol" required="Y"/>
   <field name="OrderNote" required="N"/>
  </message>
 </messages>
 <components/>
 <fields>
  <field number="11" name="ClOrdID" type="STRING"/>
  <field number="38" name="OrderQty" type="QTY"/>
  <field number="40" name="OrdType" type="CHAR"><value enum="1" description="MARKET"/></field>
  <field number="54" name="Side" type="CHAR"><value enum="1" description="BUY"/></field>
  <field number="55" name="Symbol" type="STRING"/>
  <field number="60" name="TransactTime" type="UTCTIMESTAMP"/>
  <field number="5001" name="OrderNote" type="STRING"/>
 </fields>
</fix>
"""


def user_dictionary(tmp_path: Path, text: str = USER_FIX44, name: str = "USER44.xml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def fixt_settings(**keys: Any) -> SessionSettings:
    config = ConfigManager.from_dict({
        "DEFAULT": {"ConnectionType": "acceptor", "SocketAcceptPort": 9000, "BeginString": "FIXT.1.1",
                    "DefaultApplVerID": "9", **keys},
        "SESSION": [{"SenderCompID": US, "TargetCompID": THEM}],
    })  # fmt: skip
    [settings] = config.sessions()
    return settings


def order(seqnum: int, appl_ver_id: str, *extra: tuple[int, object]) -> bytes:
    sending_time = format_utc_timestamp(int(T0 * 1e9), "ms").decode()
    fields = [(35, "D"), (1128, appl_ver_id), (34, seqnum), (49, THEM), (52, sending_time), (56, US), *ORDER_BODY,
              *extra]  # fmt: skip
    return encode_message("FIXT.1.1", fields)


def logon() -> bytes:
    sending_time = format_utc_timestamp(int(T0 * 1e9), "ms").decode()
    fields = [(35, "A"), (34, 1), (49, THEM), (52, sending_time), (56, US), (98, 0), (108, 30), (1137, "9")]
    return encode_message("FIXT.1.1", fields)


def frames(outputs: list[Output]) -> list[list[tuple[int, bytes]]]:
    return [parse_pairs(o.frame) for o in outputs if isinstance(o, SendFrame)]


def delivered(outputs: list[Output]) -> bool:
    return any(isinstance(o, MessageReceived) and not o.is_admin for o in outputs)


def logged_on(settings: SessionSettings, cache: SpecCache) -> Session:
    session = Session(build_session_config(settings), cache.validator_for(settings, cache.for_session(settings)))
    session.connection_made(T0)
    session.receive_data(logon(), T0)
    assert session.state is SessionState.ACTIVE
    return session


# ---------------------------------------------------------------------- inbound: which dictionary judges
def test_the_users_fix44_dictionary_judges_1128_6_while_9_keeps_the_builtin(tmp_path: Path) -> None:
    settings = fixt_settings(**{"AppDataDictionary.FIX.4.4": str(user_dictionary(tmp_path))})
    session = logged_on(settings, SpecCache())
    assert delivered(session.receive_data(order(2, "6", (ORDER_NOTE, "vip")), T0))  # the custom field: accepted
    [reject] = frames(session.receive_data(order(3, "9", (ORDER_NOTE, "vip")), T0))
    assert dict(reject)[35] == b"3" and dict(reject)[371] == b"5001"  # FIX 5.0 SP2 knows no 5001
    # the user's file replaces the built-in FIX 4.4: a field only the built-in NewOrderSingle has is refused
    [reject] = frames(session.receive_data(order(4, "6", (ACCOUNT, "ACC")), T0))
    assert dict(reject)[371] == b"1"
    assert delivered(session.receive_data(order(5, "9", (ACCOUNT, "ACC")), T0))


def test_without_the_key_1128_6_uses_the_builtin_fix44(tmp_path: Path) -> None:
    session = logged_on(fixt_settings(), SpecCache())
    [reject] = frames(session.receive_data(order(2, "6", (ORDER_NOTE, "vip")), T0))
    assert dict(reject)[371] == b"5001"
    assert delivered(session.receive_data(order(3, "6", (ACCOUNT, "ACC")), T0))


def test_per_version_key_wins_over_the_plain_key_of_the_same_version(tmp_path: Path) -> None:
    plain = user_dictionary(tmp_path, USER_FIX44.replace('<field name="OrderNote" required="N"/>', ""), "PLAIN44.xml")
    settings = fixt_settings(AppDataDictionary=str(plain),
                             **{"AppDataDictionary.FIX.4.4": str(user_dictionary(tmp_path))})  # fmt: skip
    session = logged_on(settings, SpecCache())
    assert delivered(session.receive_data(order(2, "6", (ORDER_NOTE, "vip")), T0))
    plain_only = logged_on(fixt_settings(AppDataDictionary=str(plain)), SpecCache())
    [reject] = frames(plain_only.receive_data(order(2, "6", (ORDER_NOTE, "vip")), T0))
    assert dict(reject)[371] == b"5001"  # the plain key alone: its FIX 4.4 file judges, and it has no 5001


def test_a_file_declaring_another_version_fails_create_naming_key_and_both(tmp_path: Path) -> None:
    # settings made in code skip the configuration's check: create() still refuses them
    fix42 = user_dictionary(tmp_path, USER_FIX44.replace('minor="4"', 'minor="2"'), "USER42.xml")
    settings = dataclasses.replace(fixt_settings(), app_data_dictionaries=(("FIX.4.4", fix42),))
    cache = SpecCache()
    with pytest.raises(ValueError) as caught:
        cache.validator_for(settings, cache.for_session(settings))
    assert str(caught.value) == (
        f"session FIXT.1.1:{US}->{THEM}: AppDataDictionary.FIX.4.4 = {fix42} declares ApplVerID 4 (FIX.4.2) "
        "(its <fix> major/minor/servicepack), not 6 (FIX.4.4)"
    )


def test_a_missing_file_fails_create_naming_it(tmp_path: Path) -> None:
    gone = tmp_path / "gone.xml"
    settings = fixt_settings(**{"AppDataDictionary.FIX.4.2": str(gone)})
    with pytest.raises(ValueError) as caught:
        SpecCache().for_session(settings)
    assert str(caught.value).startswith(f"session FIXT.1.1:{US}->{THEM}: AppDataDictionary.FIX.4.2 = {gone}: ")
    assert "cannot load the dictionary" in str(caught.value) and "No such file" in str(caught.value)


# ---------------------------------------------------------------------- outbound ApplVerID(1128)
EXECUTION_REPORT = {35: "8", 37: "O1", 11: "C1", 17: "E1", 150: "F", 39: "2", 55: "EUR/USD", 54: "1", 151: 0,
                    14: 100, 6: "1.1"}  # fmt: skip


def fixt_codec(settings: SessionSettings, cache: SpecCache) -> Codec:
    return cache.codec_for(cache.for_session(settings), settings)


def test_an_own_1128_goes_out_in_the_header_after_sending_time_before_the_body() -> None:
    settings, cache = fixt_settings(), SpecCache()
    session = logged_on(settings, cache)
    fields = fixt_codec(settings, cache).body_fields({**EXECUTION_REPORT, 1128: "6"})
    [frame] = frames(session.send("8", [f for f in fields if f[0] != 35], T0))
    tags = [tag for tag, _ in frame]
    assert tags[:3] == [8, 9, 35] and dict(frame)[1128] == b"6"
    assert tags.index(52) < tags.index(1128) < tags.index(37)  # header, before the first body field
    assert tags.count(1128) == 1


def test_an_own_1128_is_ordered_by_that_versions_dictionary(tmp_path: Path) -> None:
    settings, cache = fixt_settings(**{"AppDataDictionary.FIX.4.4": str(user_dictionary(tmp_path))}), SpecCache()
    codec = fixt_codec(settings, cache)
    assert isinstance(codec, ApplVerCodec)
    order_fields = {35: "D", 1128: "6", ORDER_NOTE: "vip", **dict(ORDER_BODY)}
    user_codec = cache.codec_for(cache.fixt_dictionaries_for(settings).for_version(b"6").spec)  # type: ignore[attr-defined]
    assert codec.body_fields(order_fields) == user_codec.body_fields(order_fields)
    default_version = {**EXECUTION_REPORT, 1128: "9"}
    assert codec.body_fields(default_version) == Codec.body_fields(codec, default_version)


@pytest.mark.parametrize("value", ["42", "", "FIX.4.4"])
def test_an_unknown_own_1128_is_refused_naming_value_and_supported(value: str) -> None:
    settings, cache = fixt_settings(), SpecCache()
    with pytest.raises(UnsupportedOutboundApplVerID) as caught:
        fixt_codec(settings, cache).body_fields({**EXECUTION_REPORT, 1128: value})
    assert str(caught.value) == (
        f"cannot send MsgType(35)=8: ApplVerID(1128)={value!r} names no application dictionary of this FIXT.1.1 "
        "session; supported: 2 (FIX.4.0), 3 (FIX.4.1), 4 (FIX.4.2), 5 (FIX.4.3), 6 (FIX.4.4), 7 (FIX.5.0), "
        "8 (FIX.5.0SP1), 9 (FIX.5.0SP2)"
    )


def test_without_dictionary_validation_any_1128_goes_out_unchecked() -> None:
    settings, cache = fixt_settings(UseDataDictionary="N"), SpecCache()
    codec = fixt_codec(settings, cache)
    assert not isinstance(codec, ApplVerCodec)
    assert (1128, "42") in codec.body_fields({**EXECUTION_REPORT, 1128: "42"})


def test_fix4_sessions_keep_the_plain_shared_codec() -> None:
    settings = dataclasses.replace(fixt_settings(), begin_string="FIX.4.4", default_appl_ver_id=None)
    cache = SpecCache()
    spec = cache.for_session(settings)
    assert type(cache.codec_for(spec, settings)) is Codec and cache.codec_for(spec, settings) is cache.codec_for(spec)


def test_the_fixt_codec_is_shared_and_pickles_as_a_plain_codec() -> None:
    settings, cache = fixt_settings(), SpecCache()
    codec = fixt_codec(settings, cache)
    assert fixt_codec(settings, cache) is codec
    assert isinstance(cache.validator_for(settings, cache.for_session(settings)), FixtDictionaries)
    copy = pickle.loads(pickle.dumps(codec))
    assert type(copy) is Codec and copy.body_fields(EXECUTION_REPORT) == codec.body_fields(EXECUTION_REPORT)
