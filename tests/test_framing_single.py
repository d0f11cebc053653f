"""``Framer.msgtype_if_one_frame``: a read that is exactly one valid frame is answered with its MsgType(35) and
nothing consumed, exactly when ``Framer.feed`` would give one valid span covering the whole read; any other read
(partial, several frames, garbled, pending bytes, not bytes) gives None. Runs on every implementation; a fuzz
test compares it with ``feed`` on mutated frames."""

from __future__ import annotations

from conftest import Impl
from hypothesis import given
from hypothesis import strategies as st
from test_framing_properties import PROPERTY_SETTINGS, frames

from pyfixmsg_plus.message import encoder_py

ORDER = encoder_py.encode_message("FIX.4.4", [(35, "D"), (34, 7), (49, "A"), (56, "B"), (11, "c"), (55, "X")])
LONG_TYPE = encoder_py.encode_message("FIX.4.4", [(35, "UCUSTOMTYPE"), (34, 2), (58, "long")])


def feed_answer(impl: Impl, data: bytes) -> bytes | None:
    """What ``msgtype_if_one_frame`` must say, from a fresh framer's ``feed``."""
    index = impl.framing.Framer().feed(data)
    if index.count == 1 and bool(index.valid[0]) and index.consumed == len(data) and index.offsets[0] == 0:
        return bytes(index.msgtype(0))
    return None


def test_one_whole_frame_gives_its_msgtype_and_consumes_nothing(impl: Impl) -> None:
    framer = impl.framing.Framer()
    assert framer.msgtype_if_one_frame(ORDER) == b"D"
    assert framer.msgtype_if_one_frame(LONG_TYPE) == b"UCUSTOMTYPE"  # in full, not the index's 8 bytes
    assert framer.pending == 0
    index = framer.feed(ORDER)  # nothing was consumed: the same read splits as usual
    assert index.count == 1 and framer.pending == 0


def test_anything_but_one_whole_frame_gives_none(impl: Impl) -> None:
    framer = impl.framing.Framer()
    for read in (b"", ORDER[:-1], ORDER + ORDER, ORDER + b"\r\n", b"x" + ORDER, ORDER[:3],
                 ORDER.replace(b"10=", b"10=9"), bytearray(ORDER), memoryview(ORDER)):  # fmt: skip
        assert framer.msgtype_if_one_frame(read) is None, read
    framer.feed(ORDER[:10])  # a frame begun in an earlier read: the read continues it, not a frame of its own
    assert framer.msgtype_if_one_frame(ORDER) is None
    assert framer.pending == 10


def test_the_framers_separator_and_body_limit_apply(impl: Impl) -> None:
    piped = encoder_py.encode_message("FIX.4.4", [(35, "0"), (34, 1)], sep=ord("|"))
    assert impl.framing.Framer(sep=ord("|")).msgtype_if_one_frame(piped) == b"0"
    assert impl.framing.Framer().msgtype_if_one_frame(piped) is None
    assert impl.framing.Framer(max_body_length=10).msgtype_if_one_frame(ORDER) is None


@PROPERTY_SETTINGS
@given(data=st.data())
def test_it_says_what_feed_says_about_encoded_frames(impl: Impl, data: st.DataObject) -> None:
    frame = data.draw(frames())
    assert impl.framing.Framer().msgtype_if_one_frame(frame) == feed_answer(impl, frame)


@PROPERTY_SETTINGS
@given(mutations=st.lists(st.tuples(st.integers(0, 300), st.binary(min_size=0, max_size=3)), max_size=4),
       cut=st.booleans())  # fmt: skip
def test_it_says_what_feed_says_about_mutated_frames(
    impl: Impl, mutations: list[tuple[int, bytes]], cut: bool
) -> None:
    """Fuzz: bytes overwritten, inserted or removed anywhere in one or two frames; never a crash, and the
    answer is the one ``feed`` implies."""
    data = bytearray(ORDER if not mutations or mutations[0][0] % 2 else ORDER + LONG_TYPE)
    for at, chunk in mutations:
        at %= len(data) + 1
        data[at : at + (len(chunk) if cut else 0)] = chunk
    read = bytes(data)
    assert impl.framing.Framer().msgtype_if_one_frame(read) == feed_answer(impl, read)
