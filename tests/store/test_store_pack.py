"""The batch-packing hot path: compiled and pure twins give the same rows, summaries and errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyfixmsg_plus import _impl

MSG_TYPES = st.text(alphabet="0123456789ABDEFGHjkW", min_size=1, max_size=3)
RECORDS = st.lists(
    st.tuples(
        st.integers(1, 2**32 - 1),
        MSG_TYPES,
        st.floats(allow_nan=False, allow_infinity=False, width=64),
        st.binary(max_size=40),
    ),
    min_size=1,
    max_size=30,
)


def test_pack_records_rows_and_summary(impl) -> None:
    rows, summary = impl.storepack.pack_records(3, [(7, "D", 10.5, b"abc"), (2, "0", 9.0, b"")])
    assert rows == [((3 << 32) | 7, "D", 10.5, b"abc"), ((3 << 32) | 2, "0", 9.0, b"")]
    assert summary == (2, 7, 9.0, 10.5, ",0,D,")
    assert impl.storepack.message_key(3, 7) == (3 << 32) | 7


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ([], "empty batch"),
        ([(0, "D", 1.0, b"")], r"record 0: MsgSeqNum\(34\) 0 is outside"),
        ([(1, "D", 1.0, b""), (2**32, "D", 1.0, b"")], r"record 1: MsgSeqNum\(34\) 4294967296"),
        ([(1.5, "D", 1.0, b"")], "not an integer"),
        ([(1, "", 1.0, b"")], r"MsgType\(35\) ''"),
        ([(1, "D,8", 1.0, b"")], "without ','"),
        ([(1, "D", 1.0, "text")], "data must be bytes, got str"),
    ],
)
def test_pack_records_errors_name_the_record_and_field(impl, records, message) -> None:
    with pytest.raises(ValueError, match=message):
        impl.storepack.pack_records(1, records)


def test_stream_out_of_range(impl) -> None:
    with pytest.raises(ValueError, match="stream -1"):
        impl.storepack.pack_records(-1, [(1, "D", 1.0, b"")])


def test_records_from_buffer_slices_exact_bytes_and_checks_bounds(impl) -> None:
    buffer = b"AAAABBBCC"
    got = impl.storepack.records_from_buffer(
        buffer, [0, 4, 7], [4, 3, 2], [1, 2, 3], ["D", "8", "0"], [1, 2, 3]
    )
    assert got == [(1, "D", 1.0, b"AAAA"), (2, "8", 2.0, b"BBB"), (3, "0", 3.0, b"CC")]
    with pytest.raises(ValueError, match="frame 1: offset 7 \\+ length 3 lies outside the buffer of 9"):
        impl.storepack.records_from_buffer(buffer, [0, 7], [1, 3], [1, 2], ["D", "D"], [0, 0])
    with pytest.raises(ValueError, match="seq_nums has 1 entries, offsets has 2"):
        impl.storepack.records_from_buffer(buffer, [0, 1], [1, 1], [1], ["D", "D"], [0, 0])


@settings(max_examples=150, deadline=None)
@given(records=RECORDS, stream=st.integers(0, 2**30 - 1))
def test_twins_agree(records, stream) -> None:
    pure = _impl.pure("storepack").pack_records(stream, records)
    compiled = _impl.compiled("storepack")
    if compiled is not None:
        assert compiled.pack_records(stream, records) == pure
    rows, (first, last, low, high, types) = pure
    assert [row[0] >> 32 for row in rows] == [stream] * len(records)
    assert (first, last) == (min(r[0] for r in records), max(r[0] for r in records))
    assert (low, high) == (min(r[2] for r in records), max(r[2] for r in records))
    assert types.strip(",").split(",") == sorted({r[1] for r in records})


@settings(max_examples=150, deadline=None)
@given(
    buffer=st.binary(max_size=64),
    spans=st.lists(st.tuples(st.integers(-5, 80), st.integers(-5, 80)), max_size=8),
)
def test_records_from_buffer_never_reads_outside(buffer, spans) -> None:
    offsets = [o for o, _ in spans]
    lengths = [n for _, n in spans]
    args = (buffer, offsets, lengths, [1] * len(spans), ["D"] * len(spans), [0.0] * len(spans))
    outcomes = []
    for module in filter(None, [_impl.pure("storepack"), _impl.compiled("storepack")]):
        try:
            outcomes.append(module.records_from_buffer(*args))
        except ValueError as exc:
            outcomes.append(str(exc))
    assert all(outcome == outcomes[0] for outcome in outcomes)


def test_statement_params_lays_full_groups_end_to_end(impl) -> None:
    rows = [(k, "X", 1.5, b"f%d" % k) for k in range(7)]
    groups, rest = impl.storepack.statement_params(rows, 3)
    assert groups == [[0, "X", 1.5, b"f0", 1, "X", 1.5, b"f1", 2, "X", 1.5, b"f2"],
                      [3, "X", 1.5, b"f3", 4, "X", 1.5, b"f4", 5, "X", 1.5, b"f5"]]  # fmt: skip
    assert rest == [rows[6]]
    assert impl.storepack.statement_params([], 3) == ([], [])
    with pytest.raises(ValueError, match="per_statement = 0"):
        impl.storepack.statement_params(rows, 0)


@settings(max_examples=100, deadline=None)
@given(RECORDS, st.integers(1, 12))
def test_statement_params_twins_agree(records, per_statement) -> None:
    compiled = _impl.compiled("storepack")
    if compiled is None:
        pytest.skip("compiled storepack not built (or extensions disabled)")
    pure = _impl.pure("storepack")
    rows = [tuple(r) for r in records]
    expected = pure.statement_params(rows, per_statement)
    assert compiled.statement_params(rows, per_statement) == expected
    flat = [value for group in expected[0] for value in group] + [v for row in expected[1] for v in row]
    assert flat == [value for row in rows for value in row]
