"""The two parser twins agree where they keep state: a layouts dict changed in place under a long-lived parser,
and parsers (and compiled layouts) copied or pickled before and after they have parsed."""

from __future__ import annotations

import contextlib
import copy
import functools
import pickle
from typing import Any

import pytest
from conftest import IMPLEMENTATIONS, Impl
from hypothesis import given, settings
from hypothesis import strategies as st

from pyfixmsg_plus.message.codec import Codec, build_layouts
from pyfixmsg_plus.message.fixmessage import FixFragment, FixMessage, RepeatingGroup
from pyfixmsg_plus.message.parser_plan_py import USES_BEFORE_COMPILING
from pyfixmsg_plus.message.reference import FixSpec

LAYOUTS_44 = build_layouts(FixSpec.from_builtin("FIX.4.4"))
# Enough frames of one shape for the pure twin to run its plan as generated code and read the shape by pattern.
REPEAT = USES_BEFORE_COMPILING + 4


def wire(*fields: tuple[int, str]) -> bytes:
    return b"".join(b"%d=%s\x01" % (tag, value.encode()) for tag, value in fields)


def structure(value: Any) -> Any:
    """Nested dicts and lists with their classes and group attributes made visible, for exact comparisons."""
    if isinstance(value, dict):
        return (type(value).__name__, [(k, structure(v)) for k, v in value.items()])
    if isinstance(value, list):
        attributes = tuple(getattr(value, name, None) for name in ("number_tag", "first_tag", "standard"))
        return (type(value).__name__, attributes, [structure(v) for v in value])
    return value


# MarketDataIncrementalRefresh(X): NoMDEntries(268) is a group under X's layout and a plain field under none.
MD_FRAME = wire((35, "X"), (34, "7"), (268, "2"), (279, "0"), (55, "A"), (279, "1"), (55, "B"), (10, "000"))
# the same tags under MsgType "ZZ": flat unless the layouts give "ZZ" a layout
ZZ_FRAME = MD_FRAME.replace(b"35=X\x01", b"35=ZZ\x01")
FRAMES = (MD_FRAME, ZZ_FRAME)


def fresh_parse(impl_parser: Any, layouts: Any, frame: bytes) -> Any:
    """What a parser made for this frame alone gives (it has learnt nothing under older layouts)."""
    return impl_parser.MessageParser(dict(layouts), FixFragment, RepeatingGroup, None).parse(frame, FixMessage)


def long_lived(impl_parser: Any, layouts: Any) -> Any:
    """A parser set up as a codec sets one up (default class: its one-frame parse_message is in force)."""
    return impl_parser.MessageParser(layouts, FixFragment, RepeatingGroup, None, 1, FixMessage)


# Each step changes the layouts dict in place; the parser is never told (no reset_layouts).
def _delete(layouts: dict[str, Any], layout_of: Any) -> None:
    del layouts["X"]


def _add_back(layouts: dict[str, Any], layout_of: Any) -> None:
    layouts["X"] = layout_of("X")


def _replace_with_flat(layouts: dict[str, Any], layout_of: Any) -> None:
    layouts["X"] = layout_of("0")  # Heartbeat's layout: no group counted at 268


def _add_new_type(layouts: dict[str, Any], layout_of: Any) -> None:
    layouts["ZZ"] = layout_of("X")


def _replace_with_equal_copy(layouts: dict[str, Any], layout_of: Any) -> None:
    layouts["X"] = layout_of("X")  # another object, the same content


CHANGES = [_delete, _add_back, _replace_with_flat, _add_back, _add_new_type, _replace_with_equal_copy, _delete]


@pytest.mark.parametrize("form", ["raw", "compiled"])
def test_a_long_lived_parser_follows_its_layouts_dict_changed_in_place(impl: Any, form: str) -> None:
    """After each in-place change of the layouts dict (a MsgType entry deleted, added, replaced), both the
    one-frame parse_message and parse give what a parser made afresh gives, also once the pure twin runs the
    frame's plan as generated code and reads its shape by pattern."""
    impl_parser = impl.parser

    def layout_of(msg_type: str) -> Any:
        raw = {msg_type: LAYOUTS_44.get(msg_type, {})}
        return (raw if form == "raw" else impl_parser.compile_layouts(raw))[msg_type]

    layouts = dict(LAYOUTS_44) if form == "raw" else dict(impl_parser.compile_layouts(LAYOUTS_44))
    parser = long_lived(impl_parser, layouts)
    for change in [None, *CHANGES]:
        if change is not None:
            change(layouts, layout_of)
        for frame in FRAMES:
            expected = structure(fresh_parse(impl_parser, layouts, frame))
            got = [structure(parser.parse_message(frame)) for _ in range(REPEAT)]
            got.append(structure(parser.parse(frame, FixMessage)))
            assert got == [expected] * (REPEAT + 1), change


def test_the_changes_above_do_change_the_results(impl: Any) -> None:
    """The property above is not vacuous: the layouts decide whether 268 is a group in both frames."""
    layouts = dict(LAYOUTS_44)
    assert isinstance(fresh_parse(impl.parser, layouts, MD_FRAME)[268], RepeatingGroup)
    assert fresh_parse(impl.parser, layouts, ZZ_FRAME)[268] == "2"
    layouts["X"], layouts["ZZ"] = LAYOUTS_44.get("0", {}), LAYOUTS_44["X"]
    assert fresh_parse(impl.parser, layouts, MD_FRAME)[268] == "2"
    assert isinstance(fresh_parse(impl.parser, layouts, ZZ_FRAME)[268], RepeatingGroup)


change_st = st.tuples(st.sampled_from(["X", "ZZ", "0"]), st.sampled_from(["md", "flat", "absent"]))
parse_st = st.tuples(st.sampled_from(FRAMES), st.integers(min_value=1, max_value=REPEAT))


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(change_st, parse_st), min_size=1, max_size=25), st.sampled_from(["raw", "compiled"]))
def test_the_twins_follow_any_sequence_of_in_place_changes(name: str, steps: list[Any], form: str) -> None:
    """Random interleavings of in-place layouts changes and runs of frames through one parser."""
    impl_parser = Impl(name=name).parser
    prepare = (lambda raw: raw) if form == "raw" else impl_parser.compile_layouts
    layouts = dict(prepare({"X": LAYOUTS_44["X"]}))
    parser = long_lived(impl_parser, layouts)
    for step in steps:
        if isinstance(step[0], str):
            msg_type, kind = step
            if kind == "absent":
                layouts.pop(msg_type, None)
            else:
                layouts.update(prepare({msg_type: LAYOUTS_44["X"] if kind == "md" else {}}))
            continue
        frame, times = step
        expected = structure(fresh_parse(impl_parser, layouts, frame))
        assert [structure(parser.parse_message(frame)) for _ in range(times)] == [expected] * times


# --- copies and pickles ------------------------------------------------------------------------------------------


def _declined(frame: Any, message_class: Any) -> str:
    """A fallback that names what it was given (module level: it pickles)."""
    return f"declined {bytes(frame)!r}"


def codec_like(impl_parser: Any) -> Any:
    """A parser set up as Codec sets one up: a codec, a default class, a fallback, layouts from a source."""
    source = functools.partial(impl_parser.compile_layouts, LAYOUTS_44)
    return impl_parser.MessageParser(None, FixFragment, RepeatingGroup, Codec(), 1, FixMessage, _declined, source)


def results(parser: Any) -> list[Any]:
    """What the parser gives for the frames, each parsed until the pure twin runs it as generated code."""
    out = []
    for frame in (*FRAMES, b"35=X\x0112=\xff\x01", b"35=X\x01no-equals\x01"):
        for _ in range(REPEAT):
            message = parser.parse_message(frame)
            out.append(message if isinstance(message, str) else structure(message))
    return out


@pytest.mark.parametrize("frames_before", [0, 1, REPEAT])
@pytest.mark.parametrize("protocol", [0, pickle.HIGHEST_PROTOCOL])
def test_a_parser_pickles_before_and_after_it_parsed(impl: Any, frames_before: int, protocol: int) -> None:
    """Pickled after 0, 1 or many frames (the pure twin's plans then run as generated code), the loaded parser
    parses as the original does, with its settings (lenience too), its codec set on each message."""
    parser = codec_like(impl.parser)
    for _ in range(frames_before):
        parser.parse_message(MD_FRAME)
    loaded = pickle.loads(pickle.dumps(parser, protocol))
    assert type(loaded) is type(parser)
    assert results(loaded) == results(parser)
    assert isinstance(loaded.parse_message(MD_FRAME)._codec, Codec)
    parser.set_lenient(True)
    lenient = pickle.loads(pickle.dumps(parser, protocol))
    assert lenient.parse_message(MD_FRAME) == _declined(MD_FRAME, None)
    assert loaded.parse_message(MD_FRAME)[268][1] == {279: "1", 55: "B"}  # the earlier copy stays strict


def test_the_twins_give_the_same_results_after_a_pickle_round_trip() -> None:
    modules = [Impl(name=name).parser for name in IMPLEMENTATIONS]
    answers = []
    for impl_parser in modules:
        parser = codec_like(impl_parser)
        results(parser)
        answers.append(results(pickle.loads(pickle.dumps(parser))))
    assert all(answer == answers[0] for answer in answers)


def test_a_copy_learns_on_its_own_and_keeps_its_own_lenience(impl: Any) -> None:
    parser = codec_like(impl.parser)
    results(parser)
    clone = copy.copy(parser)
    assert results(clone) == results(parser)
    clone.set_lenient(True)
    assert clone.parse_message(MD_FRAME) == _declined(MD_FRAME, None)
    assert parser.parse_message(MD_FRAME)[268][0] == {279: "0", 55: "A"}


class _TaggedParserMixin:
    """A subclass with an instance attribute of its own: a pickle keeps it."""

    note = "class default"


def test_a_subclass_instance_pickles_with_its_own_attributes(impl: Any) -> None:
    tagged: Any = type("TaggedParser", (_TaggedParserMixin, impl.parser.MessageParser), {"__module__": __name__})
    globals()["TaggedParser"] = tagged  # where pickle looks the class up
    try:
        parser = tagged(None, FixFragment, RepeatingGroup, None, 1, FixMessage, None, None)
        parser.note = "mine"
        parser.parse_message(MD_FRAME)
        loaded = pickle.loads(pickle.dumps(parser))
        assert type(loaded) is tagged and loaded.note == "mine"
        assert loaded.parse_message(MD_FRAME) == {35: "X", 34: "7", 268: "2", 279: "1", 55: "B", 10: "000"}
    finally:
        del globals()["TaggedParser"]


def test_compiled_layouts_pickle(impl: Any) -> None:
    """compile_layouts' result (bitsets in the compiled twin) pickles and parses as the original."""
    compiled = impl.parser.compile_layouts(LAYOUTS_44)
    loaded = pickle.loads(pickle.dumps(compiled))
    assert sorted(loaded) == sorted(compiled)
    for frame in FRAMES:
        got = impl.parser.MessageParser(loaded, FixFragment, RepeatingGroup, None).parse(frame, FixMessage)
        assert structure(got) == structure(fresh_parse(impl.parser, compiled, frame))


def test_a_parser_never_set_up_raises_instead_of_crashing(impl: Any) -> None:
    """``MessageParser.__new__`` without ``__init__`` (a subclass's copy whose ``__setstate__`` skips the base):
    forgetting layouts and parsing work or raise (the pure twin raises AttributeError), never crash the process
    (the compiled twin once read its unset tables)."""

    class Restoring(impl.parser.MessageParser):
        def __setstate__(self, state: Any) -> None:  # restores only what it added itself
            self.__dict__.update(state[-1] if isinstance(state, tuple) else {})

    copied = copy.copy(Restoring(dict(LAYOUTS_44), FixFragment, RepeatingGroup, None))
    bare = impl.parser.MessageParser.__new__(impl.parser.MessageParser)
    for parser in (copied, bare):
        with contextlib.suppress(AttributeError, TypeError):
            parser.reset_layouts()
        with contextlib.suppress(AttributeError, TypeError):
            parser.parse(MD_FRAME, FixMessage)
