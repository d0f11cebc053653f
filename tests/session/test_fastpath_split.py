"""The compiled RunScanner splits a frame as the shape last found for frames with as many fields (SOH offsets
found 16 bytes at a time, then each field checked to start with ``<tag>=``), and falls back to reading every
tag when the guess does not hold. Its outcomes must stay exactly those of the pure twin, which always reads
every tag: frames that differ from a learnt one in a tag's text, a separator, an empty value or a replaced
shape, read after the guess was made."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_fastpath_differential import LATENCY, MIDNIGHT, tags_and_values, twins
from test_session_rules import THEM, US, ts

from pyfixmsg_plus.message.encoder import encode_message

SEQNUM = 5


def frame_with(*body: tuple[int, object], seqnum: int = SEQNUM) -> bytes:
    header = [(34, seqnum), (49, THEM), (52, ts(MIDNIGHT)), (56, US)]
    return encode_message("FIX.4.4", [(35, "X"), *header, *body])


# a frame of 18 fields, some values over 16 bytes, so the split crosses many 16-byte blocks
ENTRIES = [((279, "0"), (55, "EUR/USD" * (k + 1)), (270, f"1.{k}5")) for k in range(3)]
LEARNT = frame_with((268, 3), *[field for entry in ENTRIES for field in entry])


def primed_scanners(*learnt: bytes) -> list[Any]:
    """Both twins with the shapes of ``learnt`` (no value checks), each having passed the first learnt frame,
    so the compiled one holds a guess for frames with its number of fields."""
    scanners = []
    for module in twins():
        scan = module.RunScanner(b"FIX.4.4", THEM.encode(), US.encode(), [b"X"], max_latency=LATENCY)
        for frame in learnt:
            tags, _ = tags_and_values(frame)
            scan.learn(tags, [(0, None)] * len(tags))
        assert scan.passes_frame(learnt[0], b"X", SEQNUM, MIDNIGHT)
        scanners.append(scan)
    return scanners


def outcomes(scanners: list[Any], frame: bytes) -> list[bool]:
    return [scan.passes_frame(frame, b"X", SEQNUM, MIDNIGHT) for scan in scanners]


# byte edits that keep a frame's field count or change it by one: the cases where a guess by field count
# meets a frame that is not the learnt shape's
_EDITS = [b"0", b"1", b"9", b"=", b"\x01", b"-", b"+", b" ", b"", b"00", b"=\x01", b"\x01\x01"]


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_edited_frames_pass_exactly_as_the_pure_twin_reads_them(data: st.DataObject) -> None:
    scanners = primed_scanners(LEARNT)
    frame = bytearray(LEARNT)
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(frame) - 1))
        cut = data.draw(st.integers(0, 2))
        frame[at : at + cut] = data.draw(st.sampled_from(_EDITS))
    edited = bytes(frame)
    pure, compiled = outcomes(scanners, edited)
    assert compiled == pure
    assert outcomes(scanners, LEARNT) == [True, True]  # the guess still serves the learnt shape


@pytest.mark.parametrize(
    "edit",
    [
        (b"\x0149=", b"\x01049="),  # a leading zero: the same number, not a plain tag
        (b"\x0155=", b"\x01+55="),  # a sign
        (b"\x0155=", b"\x0156="),  # another tag of the same length
        (b"\x01270=1.05\x01", b"\x01270=\x01"),  # an empty value (one field fewer bytes, same count)
        (b"\x01279=0", b"\x01279=0=0"),  # '=' inside a value is a value byte
        (b"\x01279=0", b"\x01279\x010"),  # a field without '=' (the count grows by one)
    ],
)
def test_a_frame_unlike_the_guess_gets_the_outcome_of_the_tag_walk(edit: tuple[bytes, bytes]) -> None:
    old, new = edit
    assert old in LEARNT
    edited = LEARNT.replace(old, new, 1)
    expected_pass = new == b"\x01279=0=0"  # the only edit that leaves a frame of the learnt tags
    assert outcomes(primed_scanners(LEARNT), edited) == [expected_pass, expected_pass]


def colliding_body(learnt_tags: list[int]) -> list[tuple[int, object]]:
    """A body whose frame has as many fields as LEARNT and whose tags hash to LEARNT's shape slot."""
    pure, _ = twins()
    slot = pure.shape_slot(learnt_tags)
    head = learnt_tags[:7]  # 8 9 35 34 49 52 56
    for a in range(1000, 100_000):
        body_tags = [58, a, *learnt_tags[9:-1]]
        if pure.shape_slot([*head, *body_tags, 10]) == slot:
            return [(t, "x") for t in body_tags]
    raise AssertionError("no colliding tag sequence found")


def test_a_replaced_shape_is_not_guessed_for_frames_of_the_old_one() -> None:
    """Learning a shape into the slot of the guessed one ends the guess: the old shape's frames fail."""
    tags, _ = tags_and_values(LEARNT)
    other = frame_with(*colliding_body(tags))
    other_tags, _ = tags_and_values(other)
    assert len(other_tags) == len(tags) and other_tags != tags
    scanners = primed_scanners(LEARNT)
    for scan in scanners:
        scan.learn(other_tags, [(0, None)] * len(other_tags))
    assert outcomes(scanners, LEARNT) == [False, False]
    assert outcomes(scanners, other) == [True, True]
    for scan in scanners:
        scan.clear()
    assert outcomes(scanners, other) == [False, False]


def test_tags_too_long_for_a_word_are_read_the_slow_way() -> None:
    """A shape with an 8-digit tag cannot be split by ``<tag>=`` words: its frames still pass."""
    frame = frame_with((12345678, "x"), (58, "y" * 40))
    pure, compiled = primed_scanners(frame)
    assert outcomes([pure, compiled], frame) == [True, True]
    assert outcomes([pure, compiled], frame.replace(b"12345678=", b"12345679=")) == [False, False]


@pytest.mark.parametrize("size", range(1, 40))
def test_short_frames_and_every_tail_length_agree(size: int) -> None:
    """Frames of every length near and under 16 bytes (the SOH search's block) and their prefixes."""
    scanners = primed_scanners(LEARNT)
    for frame in (LEARNT[:size], LEARNT[-size:], b"8=" + b"\x01" * size, b"\x01" * size):
        assert len(set(outcomes(scanners, frame))) == 1, frame


@pytest.mark.parametrize("kinds", [2, 3])
def test_a_scan_over_a_stream_of_shapes_counts_as_the_pure_twin(kinds: int) -> None:
    """Frames of two or three shapes with as many fields each, in turn (more shapes than the two guesses kept
    for a field count), through FrameIndex scans."""
    from test_fastpath_differential import index_for

    last_tags = [270, 271, 272][:kinds]
    bodies = [[(268, 3), *[(279, "0"), (55, "A"), (tag, "1")] * 3] for tag in last_tags]
    stream = [frame_with(*bodies[k % kinds], seqnum=SEQNUM + k) for k in range(12)]
    counts = []
    for module, scan in zip(twins(), primed_scanners(*stream[:kinds]), strict=True):
        index = index_for(module, b"".join(stream))
        counts.append([scan.scan(index, start, SEQNUM + start, 0, MIDNIGHT) for start in range(len(index))])
    assert counts[0] == counts[1]
    assert counts[0][0] == 12
