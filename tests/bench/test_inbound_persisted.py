"""The inbound blast's store rows count until every message is persisted, beside the raw batched SQLite ceiling
(pyfixmsg_plus.bench.sqlite_ceiling, pyfixmsg_plus.bench.live.inbound). Tiny N; no timing assertions beyond the
order of the moments the figures are built from."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from pyfixmsg_plus.bench.live.engines import AIOSQLITE_WRITE_BEHIND, MEMORY, InboundVariant
from pyfixmsg_plus.bench.live.inbound import persisted_seconds, run_inbound, with_ceiling_ratios
from pyfixmsg_plus.bench.live.results import QUICKFIX, QUICKFIX_PYTHON, LiveResult, ceiling_label, is_ceiling_row
from pyfixmsg_plus.bench.live.table import render_live_table
from pyfixmsg_plus.bench.sqlite_ceiling import (
    CEILING_BATCH,
    CEILING_METHODS,
    count_stored,
    frame_rows,
    measure_best_ceiling,
    measure_ceiling,
    message_key,
    stored_rows,
    synthetic_rows,
)
from pyfixmsg_plus.store import FrameRecord, MessageStoreFactory, SessionKey
from pyfixmsg_plus.store.persistence import InboundWriter

BLAST = 300
SCENARIO = "inbound blast"


def schema_of(path: Path) -> list[tuple[str, str]]:
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
        return [(str(name), " ".join(str(sql).split())) for name, sql in rows]
    finally:
        connection.close()


async def store_inbound(path: Path, records: Sequence[FrameRecord]) -> None:
    """``records`` saved as inbound messages by our sqlite3 store at ``path``."""
    store = MessageStoreFactory.get_message_store("database", path)
    await store.open()
    try:
        await store.save_inbound(SessionKey("FIX.4.4", "PYFIX", "QFIX"), records, None)
    finally:
        await store.close()


# ------------------------------------------------------------------------------------------------- the ceiling


def test_the_ceiling_inserts_every_row_into_our_stores_schema_in_wal(tmp_path: Path) -> None:
    rows = synthetic_rows(2_500, 64)
    result = measure_ceiling(tmp_path / "ceiling.db", rows, batch=1_000)
    assert (result.rows, result.batch, result.synchronous) == (2_500, 1_000, "NORMAL")
    assert result.seconds > 0 and result.rows_per_second > 0
    asyncio.run(store_inbound(tmp_path / "ours.db", ()))
    assert schema_of(tmp_path / "ceiling.db") == schema_of(tmp_path / "ours.db")
    connection = sqlite3.connect(tmp_path / "ceiling.db")
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        keys = [key for (key,) in connection.execute("SELECT key FROM messages ORDER BY key")]
    finally:
        connection.close()
    assert keys == [row[0] for row in rows]


@pytest.mark.parametrize("method", CEILING_METHODS)
def test_each_ceiling_method_stores_every_row_in_key_order(tmp_path: Path, method: str) -> None:
    rows = synthetic_rows(1_234, 16)  # more than one multi-row statement and a remainder per 1,000-row transaction
    result = measure_ceiling(tmp_path / "ceiling.db", rows, batch=1_000, method=method)
    assert (result.rows, result.method) == (1_234, method)
    assert stored_rows(tmp_path / "ceiling.db", "D") == rows


def test_the_best_ceiling_is_the_faster_method_of_the_same_run(tmp_path: Path) -> None:
    result = measure_best_ceiling(tmp_path, synthetic_rows(600, 16), batch=600)
    assert result.method in CEILING_METHODS and result.rows == 600
    timed = sorted(tmp_path.glob("ceiling-*.db"))
    assert len(timed) == len(CEILING_METHODS)  # every method ran, each into its own file
    assert all(count_stored(path, "D") == 600 for path in timed)
    with pytest.raises(ValueError, match="ceiling method = 'bulk' is not one of executemany, multi-row INSERT"):
        measure_ceiling(tmp_path / "x.db", synthetic_rows(3, 8), method="bulk")


def test_the_ceiling_refuses_a_bad_setting_or_a_used_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="synchronous = 'SOMETIMES' is not one of OFF, NORMAL, FULL, EXTRA"):
        measure_ceiling(tmp_path / "a.db", synthetic_rows(3, 8), synchronous="SOMETIMES")
    with pytest.raises(ValueError, match="ceiling batch = 0 rows must be at least 1"):
        measure_ceiling(tmp_path / "b.db", synthetic_rows(3, 8), batch=0)
    (tmp_path / "c.db").write_bytes(b"")
    with pytest.raises(ValueError, match=r"c\.db: already exists"):
        measure_ceiling(tmp_path / "c.db", synthetic_rows(3, 8))


def test_rows_of_frames_are_keyed_as_our_store_keys_them(tmp_path: Path) -> None:
    frames = [b"8=FIX.4.4\x01" + bytes([65 + i]) for i in range(5)]
    records = [FrameRecord(seq, "X", 1.0, frame) for seq, frame in enumerate(frames, start=2)]
    asyncio.run(store_inbound(tmp_path / "ours.db", [*records, FrameRecord(7, "0", 1.0, b"heartbeat")]))
    stored = stored_rows(tmp_path / "ours.db", "X")
    assert [row[3] for row in stored] == frames
    assert [row[0] for row in stored] == [row[0] for row in frame_rows(frames, "X", first_seqnum=2)]
    assert count_stored(tmp_path / "ours.db", "X") == 5 and count_stored(tmp_path / "ours.db", "0") == 1
    with pytest.raises(FileNotFoundError, match=r"message store .*absent\.db: no such file"):
        count_stored(tmp_path / "absent.db", "X")


@settings(max_examples=50, deadline=None)
@given(stream=st.integers(min_value=0, max_value=2**20), seqnums=st.lists(st.integers(1, 2**31 - 1), min_size=2))
def test_message_keys_keep_the_stream_apart_and_the_sequence_order(stream: int, seqnums: list[int]) -> None:
    keys = [message_key(stream, seq) for seq in seqnums]
    assert all(key >> 32 == stream and key & 0xFFFFFFFF == seq for key, seq in zip(keys, seqnums, strict=True))
    assert sorted(keys) == [message_key(stream, seq) for seq in sorted(seqnums)]


# ------------------------------------------------------------------------------------------------- the figure


@settings(max_examples=50, deadline=None)
@given(blast=st.floats(0.0, 100.0), logout=st.floats(0.0, 1e6), after=st.floats(-1.0, 100.0))
def test_the_persisted_time_adds_the_flush_after_the_logout_answer(blast: float, logout: float, after: float) -> None:
    seconds = persisted_seconds(blast, logout, logout + after)
    assert seconds >= blast
    assert seconds == pytest.approx(blast + max(after, 0.0), abs=1e-6)


def test_table_puts_persisted_rows_against_the_ceiling() -> None:
    ceiling = LiveResult(SCENARIO, ceiling_label(2_000, "NORMAL"), messages=1_000, seconds=1.0)
    rows = [
        LiveResult(SCENARIO, QUICKFIX, messages=1_000, seconds=2.0),
        LiveResult(SCENARIO, "ours, store", messages=1_000, seconds=4.0, details={"rows_stored": 1_000}),
        LiveResult(SCENARIO, "ours, memory", messages=1_000, seconds=0.5),
    ]
    measured = with_ceiling_ratios(rows, ceiling)
    assert measured[1].details["vs_sqlite_ceiling"] == pytest.approx(0.25)
    assert "vs_sqlite_ceiling" not in measured[2].details
    console = Console(width=400, record=True)
    console.print(render_live_table([*measured, ceiling], "ceiling"))
    lines = console.export_text().splitlines()
    assert "vs SQLite ceiling" in "".join(lines)
    store_line = next(line for line in lines if "ours, store" in line)
    assert store_line.split("│")[-2].strip() == "0.25x"  # 250/s against 1,000/s
    ceiling_line = next(line for line in lines if "raw batched SQLite ceiling" in line)
    assert "sqlite3 executemany, 2,000/commit, WAL, synchronous=NORMAL" in ceiling_line
    # the ceiling is no FIX engine: no ratio to QuickFIX; the memory row persists nothing: no ceiling ratio
    assert [c.strip() for c in ceiling_line.split("│")[-4:-1]] == ["-", "-", "-"]
    assert next(line for line in lines if "ours, memory" in line).split("│")[-2].strip() == "-"


def test_without_a_ceiling_row_the_table_has_no_ceiling_column() -> None:
    console = Console(width=400, record=True)
    console.print(render_live_table([LiveResult(SCENARIO, QUICKFIX, messages=10, seconds=1.0)], "plain"))
    assert "vs SQLite ceiling" not in console.export_text()


# ------------------------------------------------------------------------------------------------- live rows


def test_store_rows_count_once_every_refresh_is_stored_then_the_ceiling_row(no_peer: Path, no_binding: Path) -> None:
    rows = run_inbound(BLAST, stores=(InboundVariant(AIOSQLITE_WRITE_BEHIND, on_batch=True), InboundVariant(MEMORY)))
    assert [row.implementation for row in rows[:-1]] == [
        QUICKFIX,
        QUICKFIX_PYTHON,  # unavailable: neither peer is needed by our rows
        "pyfixmsg-plus acceptor, aiosqlite write_behind, onBatch",
        "pyfixmsg-plus acceptor, memory store",
    ]
    stored, memory, ceiling = rows[2:]
    # the faster way of writing of this run, named in the label
    assert ceiling.implementation == ceiling_label(CEILING_BATCH, "NORMAL", ceiling.details["method"])
    details = stored.details
    assert (stored.messages, details["rows_stored"], details["delivered_messages"]) == (BLAST, BLAST, BLAST)
    assert details["all_persisted"] is True and details["synchronous"] == "NORMAL"
    # persisted: the delivered span (first write to the Logout answer) plus the flush that followed it
    assert stored.seconds == pytest.approx(details["delivered_seconds"] + details["store_flush_after_logout_s"])
    assert details["delivered_per_s"] >= stored.messages_per_second > 0
    assert details["vs_sqlite_ceiling"] == pytest.approx(stored.messages_per_second / ceiling.messages_per_second)
    assert "rows_stored" not in memory.details and memory.messages == BLAST
    assert is_ceiling_row(ceiling) and ceiling.messages == BLAST and ceiling.seconds > 0
    assert ceiling.details["batch"] == CEILING_BATCH and ceiling.details["frame_bytes_mean"] > 100


def test_the_persisted_figure_waits_for_a_slow_store(
    no_peer: Path, no_binding: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    delay_s = 0.3
    save = InboundWriter._save

    async def slow_save(self: InboundWriter, records: Sequence[FrameRecord], next_target: int | None) -> Any:
        await asyncio.sleep(delay_s)  # every batch of the inbound writer takes this long to commit
        return await save(self, records, next_target)

    monkeypatch.setattr(InboundWriter, "_save", slow_save)
    (_, _, stored) = run_inbound(BLAST, stores=(InboundVariant(AIOSQLITE_WRITE_BEHIND, on_batch=True),))[:3]
    assert stored.details["rows_stored"] == stored.messages == BLAST
    assert stored.details["store_flush_after_logout_s"] >= delay_s
    assert stored.seconds >= stored.details["delivered_seconds"] + delay_s
