"""Received runs stored as blobs that SQLite splits itself (storepack.pack_run_blob + temp.inbound_runs): the
rows, block-range rows and next expected MsgSeqNum(34) are exactly those of the row-by-row path."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_store_contract import SESSION, record
from test_store_runs import index_of

from pyfixmsg_plus import _impl
from pyfixmsg_plus.store import FrameRecord, MessageStoreFactory, schema
from pyfixmsg_plus.store.runs import FrameRun, RecordChunks
from pyfixmsg_plus.store.sql_base import inbound_steps, insert_run_steps, is_lone_statement

SQL_BACKENDS = ["database", "aiosqlite"]
#: stream of SESSION's inbound direction in a fresh file (session id 1 * 2 + inbound)
STREAM = 3


def twins() -> list[Any]:
    return [module for module in (_impl.pure("storepack"), _impl.compiled("storepack")) if module is not None]


def split_by_sqlite(run: tuple[Any, ...], sending_time: float) -> list[tuple[Any, ...]]:
    """The rows SQLite cuts out of one packed run, in a fresh in-memory file of the stores' schema."""
    connection = sqlite3.connect(":memory:", isolation_level=None)
    for statement in (*schema.CREATE_SCHEMA, *schema.CREATE_RUN_HELPERS):
        connection.execute(statement)
    for sql, params, _ in insert_run_steps([(*run, sending_time)]):
        connection.execute(sql, params)
    rows = connection.execute("SELECT key, msg_type, sending_time, data FROM messages ORDER BY key").fetchall()
    connection.close()
    return rows


def test_a_run_blob_is_its_frames_end_to_end_and_a_fixed_width_index(impl) -> None:
    run, summary = impl.storepack.pack_run_blob(3, b"xxAAAABBBCzz", [2, 6, 9], [4, 3, 1], 7, ["D", "AB", "é"], 5.5)
    entries = [b"0000000001" b"0000000004" b"0001" b"D ", b"0000000005" b"0000000003" b"0002" b"AB",
               b"0000000008" b"0000000001" b"0002" + "é".encode()]  # fmt: skip
    assert run == ((3 << 32) | 7, 3, b"AAAABBBC", b"".join(entries), 26)
    assert summary == (7, 9, 5.5, 5.5, ",AB,D,é,")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((7, b"abc", [1], [5], 1, ["X"], 0.0), "frame 0: offset 1 \\+ length 5 lies outside the buffer of 3 bytes"),
        ((7, b"abc", [0, 1], [1], 1, ["X", "X"], 0.0), "must match"),
        ((7, b"abc", [], [], 1, [], 0.0), "empty run"),
        ((7, b"abc", [0], [1], 0, ["X"], 0.0), r"MsgSeqNum\(34\) 0 is outside 1\.\."),
        ((7, b"abc", [0, 1], [1, 1], 2**32 - 1, ["X", "X"], 0.0), r"record 1: MsgSeqNum\(34\) 4294967296"),
        ((7, b"abc", [0], [1], 1, ["X,Y"], 0.0), "without ','"),
        ((-1, b"abc", [0], [1], 1, ["X"], 0.0), "stream -1"),
        ((7, b"abc", [0, 0], [1, 1], 1, ["X", "Y" * 10_000], 0.0), r"record 1: MsgType\(35\) of 10000 bytes"),
    ],
)
def test_a_bad_run_fails_as_pack_run_does(impl, args, message) -> None:
    with pytest.raises(ValueError, match=message):
        impl.storepack.pack_run_blob(*args)
    if "10000 bytes" not in message:  # pack_run keeps types of any length
        with pytest.raises(ValueError, match=message):
            impl.storepack.pack_run(*args)


SPANS = st.lists(st.tuples(st.integers(0, 60), st.integers(0, 20)), min_size=1, max_size=25)
TYPES = st.text(alphabet="0ABXjé ☃", min_size=1, max_size=4)


@settings(max_examples=120, deadline=None)
@given(
    buffer=st.binary(min_size=80, max_size=80),
    spans=SPANS,
    types=st.lists(TYPES, min_size=25, max_size=25),
    first=st.integers(1, 2**32 - 26),
    when=st.floats(allow_nan=False, allow_infinity=False, width=64),
)
def test_sqlite_cuts_out_exactly_the_rows_of_pack_run(buffer, spans, types, first, when) -> None:
    offsets, lengths = [s[0] for s in spans], [s[1] for s in spans]
    msg_types = types[: len(spans)]
    args = (STREAM, buffer, offsets, lengths, first, msg_types, when)
    expected_rows, expected_summary = _impl.pure("storepack").pack_run(*args)
    packed = [module.pack_run_blob(*args) for module in twins()]
    assert all(item == packed[0] for item in packed)
    run, summary = packed[0]
    assert summary == expected_summary
    assert split_by_sqlite(run, when) == sorted(expected_rows)


def stored(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Everything a store wrote that the inbound path touches, read by a separate connection."""
    connection = sqlite3.connect(path)
    try:
        return {
            "messages": connection.execute("SELECT * FROM messages ORDER BY key").fetchall(),
            "batches": connection.execute(
                "SELECT stream, first_seq, last_seq, min_time, max_time, msg_types FROM batches ORDER BY id"
            ).fetchall(),
            "sessions": connection.execute("SELECT next_target_seqnum FROM sessions").fetchall(),
        }
    finally:
        connection.close()


async def save_batches(backend: str, path: Path, batches: list[tuple[Any, int | None]]) -> None:
    store = MessageStoreFactory.get_message_store(backend, path, "FIX.4.4", "SENDER", "TARGET")
    await store.open()
    try:
        for records, next_target in batches:
            await store.save_inbound(SESSION, records, next_target)
    finally:
        await store.close()


def as_records(records: Any) -> list[FrameRecord]:
    parts = records.parts if isinstance(records, RecordChunks) else [records]
    return [item for part in parts for item in part]


@pytest.mark.parametrize("backend", SQL_BACKENDS)
def test_runs_store_what_their_records_store(backend: str, tmp_path: Path) -> None:
    records = [record(n, "X" if n % 4 else "W") for n in range(1, 31)]
    index = index_of(records)
    batches: list[tuple[Any, int | None]] = [
        (RecordChunks([FrameRun(index, 0, 10, 1, 50.0), FrameRun(index, 10, 5, 11, 51.0)]), 16),
        (RecordChunks([records[15:18], FrameRun(index, 18, 4, 19, 52.0), records[22:24]]), None),
        (FrameRun(index, 24, 6, 25, 53.0), 31),
        # PossDupFlag(43)=Y resends replace the first copies, whichever way either came
        (RecordChunks([FrameRun(index, 2, 2, 3, 60.0), [FrameRecord(4, "Z", 61.0, b"resent")]]), None),
        (RecordChunks([[FrameRecord(20, "Z", 62.0, b"resent")], FrameRun(index, 19, 2, 20, 63.0)]), None),
    ]
    asyncio.run(save_batches(backend, tmp_path / "runs.db", batches))
    flat = [(as_records(records), next_target) for records, next_target in batches]
    asyncio.run(save_batches(backend, tmp_path / "rows.db", flat))
    got, expected = stored(tmp_path / "runs.db"), stored(tmp_path / "rows.db")
    assert got == expected
    by_seq = {key & 0xFFFFFFFF: row for key, *row in got["messages"]}
    assert by_seq[4] == ["Z", 61.0, b"resent"] and by_seq[20] == ["W", 63.0, records[19].data]
    assert len(got["messages"]) == 30 and got["sessions"] == [(31,)]


def test_a_batch_of_runs_alone_is_one_statement() -> None:
    records = [record(n, "X") for n in range(1, 9)]
    index = index_of(records)
    steps = inbound_steps(STREAM, RecordChunks([FrameRun(index, 0, 4, 1, 1.0), FrameRun(index, 4, 4, 5, 2.0)]), 1, 9)
    assert is_lone_statement(steps)
    mixed = inbound_steps(STREAM, RecordChunks([FrameRun(index, 0, 4, 1, 1.0), records[4:]]), 1, None)
    assert len(mixed) == 3 and not is_lone_statement(mixed)  # run, rows, block-range row


@pytest.mark.parametrize("backend", SQL_BACKENDS)
def test_a_run_longer_than_the_numbers_table_is_split(backend: str, tmp_path: Path) -> None:
    count = schema.RUN_ROWS_MAX + 5
    frame = record(1, "X").data
    index = _impl.load("framing").Framer().feed(frame * count)
    asyncio.run(save_batches(backend, tmp_path / "s.db", [(FrameRun(index, 0, count, 1, 7.0), count + 1)]))
    got = stored(tmp_path / "s.db")
    assert [key & 0xFFFFFFFF for key, *_ in got["messages"]] == list(range(1, count + 1))
    assert got["batches"] == [(STREAM, 1, count, 7.0, 7.0, ",X,")] and got["sessions"] == [(count + 1,)]


def test_the_trigger_refuses_a_run_it_cannot_number() -> None:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    for statement in (*schema.CREATE_SCHEMA, *schema.CREATE_RUN_HELPERS):
        connection.execute(statement)
    too_long = (STREAM << 32 | 1, schema.RUN_ROWS_MAX + 1, b"", b"", 24, 0.0)
    sql, params, _ = insert_run_steps([too_long])[0]
    with pytest.raises(sqlite3.IntegrityError, match=f"longer than {schema.RUN_ROWS_MAX} frames"):
        connection.execute(sql, params)
    assert connection.execute("SELECT count(*) FROM messages").fetchone() == (0,)
