"""Properties: encode -> split -> parse gives back the message, groups included, on both implementations."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyfixmsg_plus import _impl
from pyfixmsg_plus.message.codec import Codec
from pyfixmsg_plus.message.fixmessage import FixFragment, FixMessage, RepeatingGroup
from pyfixmsg_plus.message.reference import FixSpec

SPEC = FixSpec.from_builtin("FIX.4.4")
# values without the separator; non-empty so that the strict and lenient paths both keep them
value_chars = st.characters(codec="utf-8", exclude_characters="\x01\x1e", exclude_categories=("Cs",))  # type: ignore[arg-type]
value_st = st.text(value_chars, min_size=1, max_size=12)
header_st = st.fixed_dictionaries({49: value_st, 56: value_st, 34: st.integers(1, 10**9).map(str)})
md_entry_st = st.fixed_dictionaries(
    {279: st.sampled_from("012"), 269: st.sampled_from("01"), 270: value_st},
    optional={55: value_st, 271: value_st, 346: st.integers(0, 99).map(str)},
)
party_st = st.fixed_dictionaries(
    {448: value_st},
    optional={
        447: st.sampled_from("DC"),
        802: st.lists(
            st.fixed_dictionaries({523: value_st, 803: st.sampled_from("123")}), min_size=1, max_size=3
        ),
    },
)

# Hypothesis probes its arguments' attributes, which the shared ``impl`` fixture answers with KeyError: these
# tests take the implementation's modules as a plain parameter instead.
IMPLEMENTATIONS = (
    ["pure"] if _impl.extensions_disabled() or _impl.compiled("parser") is None else ["compiled", "pure"]
)


@pytest.fixture(params=IMPLEMENTATIONS)
def modules(request: pytest.FixtureRequest) -> tuple[Any, Any]:
    """(parser, framing or None) of one implementation."""
    loader = _impl.compiled if request.param == "compiled" else _impl.pure
    try:
        framing = loader("framing")
    except ImportError:
        framing = None
    return loader("parser"), framing


SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def build(msg_type: str, header: dict[int, str], body: dict[int, Any]) -> FixMessage:
    msg = FixMessage({8: "FIX.4.4", 35: msg_type, **header})
    for tag, value in body.items():
        if isinstance(value, list):
            group = RepeatingGroup.create_repeating_group(tag)
            group.extend(_fragment(entry) for entry in value)
            msg[tag] = group
        else:
            msg[tag] = value
    return msg


def _fragment(entry: dict[int, Any]) -> FixFragment:
    fragment = FixFragment()
    for tag, value in entry.items():
        fragment[tag] = [FixFragment(e) for e in value] if isinstance(value, list) else value
    return fragment


def split(framing: Any, data: bytes) -> list[bytes]:
    if framing is None:
        pytest.skip("the framing module is not available yet")
    return list(framing.split_frames(data).frames())


def as_plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {tag: as_plain(v) for tag, v in value.items()}
    if isinstance(value, list):
        return [as_plain(v) for v in value]
    return value


@SETTINGS
@given(header=header_st, entries=st.lists(md_entry_st, min_size=0, max_size=5), text=value_st)
def test_market_data_round_trip(
    modules: tuple[Any, Any], header: dict[int, str], entries: list[Any], text: str
) -> None:
    codec = Codec(spec=SPEC, fragment_class=FixFragment, parser=modules[0])
    original = build("X", header, {262: text, 268: entries})
    frames = split(modules[1], original.to_wire(codec) * 2)
    assert len(frames) == 2
    parsed = codec.parse_message(frames[0])
    assert as_plain(parsed) == as_plain(original)
    assert isinstance(parsed[268], RepeatingGroup) and len(parsed[268]) == len(entries)


@SETTINGS
@given(header=header_st, parties=st.lists(party_st, min_size=1, max_size=3), symbol=value_st)
def test_nested_groups_round_trip_strict_and_lenient(
    modules: tuple[Any, Any], header: dict[int, str], parties: list[Any], symbol: str
) -> None:
    codec = Codec(spec=SPEC, fragment_class=FixFragment, parser=modules[0])
    original = build("D", header, {11: "id", 55: symbol, 54: "1", 453: parties})
    wire = original.to_wire(codec)
    fast = codec.parse_message(wire)
    assert as_plain(fast) == as_plain(original)
    # the lenient tokenizer agrees on the same well-formed input, whatever the separator (here ASCII RS)
    lenient = codec.parse(codec.serialise(original, separator="\x1e").decode("utf-8"), separator="\x1e")
    assert as_plain(lenient) == as_plain(fast)


@SETTINGS
@given(fields=st.dictionaries(st.integers(1, 20000).filter(lambda t: t not in (8, 9, 10, 35, 347)), value_st,
                              max_size=20))  # fmt: skip
def test_flat_messages_round_trip_without_spec(modules: tuple[Any, Any], fields: dict[int, str]) -> None:
    codec = Codec(parser=modules[0])
    original = FixMessage({8: "FIX.4.4", 35: "B", **fields})
    parsed = codec.parse_message(original.to_wire(codec))
    assert dict(parsed) == dict(original)
