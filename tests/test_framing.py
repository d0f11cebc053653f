"""Framing golden vectors: real FIX 4.2/4.4 frames, and one test per class of malformed frame (each gives its
reason and the valid frames around it survive). Runs on every implementation through the ``impl`` fixture."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from conftest import Impl

SOH = b"\x01"

# From the pyfixmsg documentation: CheckSum 191, BodyLength 49.
FIX42_TEST_REQUEST = b"8=FIX.4.2|9=49|35=5|34=1|49=WXYZ|52=20150916-04:14:05.306|56=AA|10=191|".replace(
    b"|", SOH
)
# Encoded by simplefix (an independent encoder): CheckSum 176.
FIX44_ORDER = b"8=FIX.4.4\x019=15\x0135=D\x0134=7\x0149=A\x0110=176\x01"


def frame(body: bytes, begin: bytes = b"FIX.4.4", sep: bytes = SOH) -> bytes:
    """A correct frame around ``body`` (which must end with ``sep``), written independently of the encoder."""
    head = b"8=" + begin + sep + b"9=%d" % len(body) + sep + body
    total = sum(head) + head.count(sep) * (1 - sep[0])
    return head + b"10=%03d" % (total % 256) + sep


HEARTBEAT = frame(b"35=0\x0149=BANK\x0156=CLIENT\x0134=41\x0152=20240102-10:11:12.123\x01")
EXEC_REPORT = frame(b"35=8\x0149=BANK\x0156=CLIENT\x0134=42\x0137=O1\x0117=E1\x01150=F\x0139=2\x0155=IBM\x01")
LONG_TYPE = frame(b"35=ABCDEFGHIJ\x0134=43\x01")


def test_golden_frames_verify(impl: Impl) -> None:
    f = impl.framing
    index = f.split_frames(FIX42_TEST_REQUEST + FIX44_ORDER + HEARTBEAT)
    assert index.frames() == [FIX42_TEST_REQUEST, FIX44_ORDER, HEARTBEAT]
    assert index.consumed == len(index.buffer)
    assert index.seqnums.tolist() == [1, 7, 41]
    assert index.msgtypes.tolist() == [b"5", b"D", b"0"]
    assert index.offsets.dtype == np.int64 and index.lengths.dtype == np.int64
    assert index.reasons.dtype == np.uint8 and index.valid.dtype == np.bool_


def test_checksum_and_format(impl: Impl) -> None:
    f = impl.framing
    body_end = len(FIX42_TEST_REQUEST) - 7
    assert f.checksum(FIX42_TEST_REQUEST, 0, body_end) == 191
    assert f.checksum(b"") == 0
    assert f.checksum(bytearray(b"\xff\x02")) == 1
    assert f.checksum(memoryview(b"abc"), 1) == (ord("b") + ord("c")) % 256
    assert f.format_checksum(7) == b"007"
    assert f.format_checksum(256 + 191) == b"191"


def test_checksum_bad_arguments_name_them(impl: Impl) -> None:
    with pytest.raises(ValueError, match="start"):
        impl.framing.checksum(b"abc", 5)
    with pytest.raises(ValueError, match="end"):
        impl.framing.checksum(b"abc", 0, 9)
    with pytest.raises(TypeError, match="str"):
        impl.framing.checksum("abc")


@pytest.mark.parametrize("bad_sep", [-1, 256, ord("5"), ord("="), "x"])
def test_bad_separator_argument_is_named(impl: Impl, bad_sep: Any) -> None:
    with pytest.raises(ValueError, match="sep"):
        impl.framing.split_frames(HEARTBEAT, sep=bad_sep)


def test_bad_max_body_length_argument_is_named(impl: Impl) -> None:
    with pytest.raises(ValueError, match="max_body_length"):
        impl.framing.split_frames(HEARTBEAT, max_body_length=-1)


def test_long_msgtype_is_kept_in_full(impl: Impl) -> None:
    index = impl.framing.split_frames(LONG_TYPE)
    assert index.msgtypes[0] == b"ABCDEFGH"
    assert index.msgtype(0) == b"ABCDEFGHIJ"


def _swap(data: bytes, old: bytes, new: bytes) -> bytes:
    assert old in data
    return data.replace(old, new, 1)


def _fix_checksum(data: bytes) -> bytes:
    """Recompute the trailer so that only the intended defect remains."""
    body = data[: data.rindex(b"\x0110=") + 1]
    return body + b"10=%03d\x01" % (sum(body) % 256)


MALFORMED = {
    "bad BeginString(8)": b"8=FOO.4.4\x019=5\x0135=0\x0110=000\x01",
    "BodyLength(9) tag missing": _fix_checksum(_swap(HEARTBEAT, b"\x019=", b"\x0135=X\x019=")),
    "bad BodyLength(9) value": _fix_checksum(_swap(HEARTBEAT, b"9=", b"9=x")),
    "absurd BodyLength(9)": _fix_checksum(_swap(HEARTBEAT, b"9=", b"9=99999999")),
    "bad MsgType(35)": _fix_checksum(_swap(HEARTBEAT, b"\x0135=0", b"\x0149=0")),
    "BodyLength(9) does not match the frame": _fix_checksum(_swap(HEARTBEAT, b"9=", b"9=1")),
    "bad CheckSum(10) field": HEARTBEAT[:-4] + b"1x1\x01",
    "checksum mismatch": HEARTBEAT[:-4] + b"%03d\x01" % ((int(HEARTBEAT[-4:-1]) + 1) % 256),
}


@pytest.mark.parametrize("reason", sorted(MALFORMED))
def test_each_malformed_class_gives_its_reason_and_neighbours_survive(impl: Impl, reason: Any) -> None:
    bad = MALFORMED[reason]
    stream = HEARTBEAT + bad + EXEC_REPORT
    index = impl.framing.split_frames(stream, final=True)
    assert index.frames() == [HEARTBEAT, EXEC_REPORT]
    assert index.errors() == [(len(HEARTBEAT), len(bad), reason)]
    assert int(index.lengths.sum()) == index.consumed == len(stream)
    bad_row = 1
    assert index.seqnums[bad_row] == -1 and index.msgtypes[bad_row] == b""
    assert impl.framing.REASON_NAMES[int(index.reasons[bad_row])] == reason


def test_empty_msgtype_is_bad_msgtype(impl: Impl) -> None:
    bad = frame(b"35=\x0134=1\x01")
    index = impl.framing.split_frames(bad + HEARTBEAT)
    assert index.errors() == [(0, len(bad), "bad MsgType(35)")]
    assert index.frames() == [HEARTBEAT]


def test_checksum_field_not_three_digits(impl: Impl) -> None:
    bad = HEARTBEAT[:-4] + b"12\x01\x01"  # two digits then the separator
    index = impl.framing.split_frames(bad + EXEC_REPORT)
    assert [e[2] for e in index.errors()] == ["bad CheckSum(10) field"]
    assert index.frames() == [EXEC_REPORT]


def test_overlong_bodylength_does_not_swallow_following_frames(impl: Impl) -> None:
    # BodyLength claims 500 bytes, more than the rest of the stream: the frames behind it must still come out.
    bad = _swap(HEARTBEAT, b"9=", b"9=5")  # 9=5xx, plausible and not yet received
    f = impl.framing
    waiting = f.split_frames(bad + EXEC_REPORT + HEARTBEAT)
    assert waiting.consumed == 0  # the claimed end has not arrived: could still be valid
    done = f.split_frames(bad + EXEC_REPORT + HEARTBEAT + b"x" * 600)
    assert done.frames() == [EXEC_REPORT, HEARTBEAT]
    assert done.errors()[0] == (0, len(bad), "BodyLength(9) does not match the frame")


def test_garbage_between_frames_is_one_span_each(impl: Impl) -> None:
    stream = b"log line\n" + HEARTBEAT + b"\r\n" + EXEC_REPORT + b"tail"
    index = impl.framing.split_frames(stream, final=True)
    assert index.frames() == [HEARTBEAT, EXEC_REPORT]
    assert [e[2] for e in index.errors()] == ["garbage"] * 3
    assert int(index.lengths.sum()) == len(stream)


def test_incomplete_frame_waits_then_completes(impl: Impl) -> None:
    f = impl.framing
    for cut in range(1, len(HEARTBEAT)):
        index = f.split_frames(EXEC_REPORT + HEARTBEAT[:cut])
        assert index.frames() == [EXEC_REPORT]
        assert index.consumed == len(EXEC_REPORT), cut
        final = f.split_frames(HEARTBEAT[:cut], final=True)
        assert final.frames() == [] and final.consumed == cut and len(final.errors()) == 1


def test_partial_frame_start_waits(impl: Impl) -> None:
    for tail in (b"8", b"8=", b"8=F", b"8=FI"):
        index = impl.framing.split_frames(b"junk" + tail)
        assert index.consumed == 4 and index.errors() == [(0, 4, "garbage")]


def test_log_file_mode_verifies_pipe_separated_frames(impl: Impl) -> None:
    log = b"2024-01-02 10:11:12 IN " + HEARTBEAT.replace(SOH, b"|") + b"\n"
    log += b"2024-01-02 10:11:13 OUT " + EXEC_REPORT.replace(SOH, b"|") + b"\n"
    index = impl.framing.split_frames(log, sep=ord("|"), final=True)
    assert index.frames() == [HEARTBEAT.replace(SOH, b"|"), EXEC_REPORT.replace(SOH, b"|")]
    assert index.seqnums[index.valid].tolist() == [41, 42]
    assert int(index.lengths.sum()) == len(log)


def test_framer_byte_by_byte(impl: Impl) -> None:
    framer = impl.framing.Framer()
    stream = HEARTBEAT + b"noise" + EXEC_REPORT + FIX44_ORDER
    got: list[bytes] = []
    for byte in stream:
        got += framer.feed(bytes((byte,))).frames()
    assert got == [HEARTBEAT, EXEC_REPORT, FIX44_ORDER]
    assert framer.pending == 0


def test_framer_keeps_remainder_and_flushes(impl: Impl) -> None:
    framer = impl.framing.Framer(max_body_length=4096)
    first = framer.feed(HEARTBEAT + EXEC_REPORT[:10])
    assert first.frames() == [HEARTBEAT] and framer.pending == 10
    rest = framer.feed(bytearray(EXEC_REPORT[10:20]))
    assert rest.frames() == [] and framer.pending == 20
    flushed = framer.flush()
    # "8=FIX.4.4|9=NN|35=8|": the header is complete, the body and trailer never came.
    assert flushed.errors() == [(0, 20, "BodyLength(9) does not match the frame")] and framer.pending == 0


def test_seqnum_absent_or_unparsable_is_minus_one(impl: Impl) -> None:
    no_seq = frame(b"35=0\x0149=A\x01")
    bad_seq = frame(b"35=0\x0134=12a\x01")
    index = impl.framing.split_frames(no_seq + bad_seq)
    assert index.valid.all() and index.seqnums.tolist() == [-1, -1]


def test_max_body_length_setting(impl: Impl) -> None:
    index = impl.framing.split_frames(EXEC_REPORT + HEARTBEAT, max_body_length=56)
    assert [e[2] for e in index.errors()] == ["absurd BodyLength(9)"]
    assert index.frames() == [HEARTBEAT]


def test_index_stays_intact_after_the_next_read(impl: Impl) -> None:
    # Sessions and applications keep a FrameIndex (BatchReceived): the next read must not reuse its arrays.
    framer = impl.framing.Framer()
    first = framer.feed(HEARTBEAT)
    kept = {name: getattr(first, name).copy() for name in ("offsets", "lengths", "seqnums", "msgtypes", "reasons",
                                                           "valid")}
    second = framer.feed(b"x" + EXEC_REPORT)
    assert second.errors() == [(0, 1, "garbage")] and second.frames() == [EXEC_REPORT]
    for name, before in kept.items():
        np.testing.assert_array_equal(getattr(first, name), before, err_msg=name)
        assert not np.shares_memory(getattr(first, name), getattr(second, name)), name
    assert first.frames() == [HEARTBEAT]


@pytest.mark.parametrize("spans", [0, 1, 2, 15, 16, 17, 40])
def test_arrays_have_one_entry_per_span_and_valid_is_reasons_ok(impl: Impl, spans: int) -> None:
    # alternating valid frames and garbage: few spans use the small path, many the growing arrays
    stream = b"".join(HEARTBEAT if k % 2 == 0 else b"junk" for k in range(spans))
    index = impl.framing.split_frames(stream, final=True)
    assert index.count == len(index) == spans and index.consumed == len(stream)
    for name, dtype in (("offsets", np.int64), ("lengths", np.int64), ("seqnums", np.int64), ("reasons", np.uint8),
                        ("valid", np.bool_), ("msgtypes", np.dtype("S8"))):
        array = getattr(index, name)
        assert array.shape == (spans,) and array.dtype == dtype and array.flags.c_contiguous, name
        assert array.flags.writeable, name
    np.testing.assert_array_equal(index.valid, index.reasons == impl.framing.OK)
    assert index.reasons.tolist() == [impl.framing.OK if k % 2 == 0 else impl.framing.GARBAGE for k in range(spans)]


def test_frame_index_computes_valid_when_not_given(impl: Impl) -> None:
    reasons = np.array([0, 9, 0], dtype=np.uint8)
    column = np.zeros(3, dtype=np.int64)
    index = impl.framing.FrameIndex(b"", 0, column, column, column, np.zeros(3, "S8"), reasons)
    assert index.valid.tolist() == [True, False, True] and index.sep == 1


@pytest.mark.parametrize(("option", "value"), [("sep", True), ("sep", ord("7")), ("sep", 1.0),
                                               ("max_body_length", -1), ("max_body_length", 1.5)])
def test_framer_settings_are_checked_and_named(impl: Impl, option: str, value: Any) -> None:
    with pytest.raises(ValueError, match=option):
        impl.framing.Framer(**{option: value})


def test_framer_exposes_its_settings_and_names_bad_data(impl: Impl) -> None:
    framer = impl.framing.Framer(sep=ord("|"), max_body_length=4096)
    assert (framer.sep, framer.max_body_length, framer.pending) == (ord("|"), 4096, 0)
    with pytest.raises(TypeError, match="data must be bytes"):
        framer.feed("8=FIX.4.4")
    assert framer.feed(memoryview(HEARTBEAT.replace(SOH, b"|"))).frames() == [HEARTBEAT.replace(SOH, b"|")]
