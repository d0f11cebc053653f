"""Runs of received frames (FrameRun) reach every store through the inbound writer and read back as records."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from test_store_contract import BACKENDS, SESSION, record

from pyfixmsg_plus import _impl
from pyfixmsg_plus.store import Direction, FrameRecord, MessageQuery, MessageStoreFactory
from pyfixmsg_plus.store.batching import BatchSettings
from pyfixmsg_plus.store.persistence import InboundWriter
from pyfixmsg_plus.store.runs import FrameRun, RecordChunks, as_list, pack_chunks


def index_of(records: list[FrameRecord]) -> Any:
    return _impl.load("framing").Framer().feed(b"".join(r.data for r in records))


def test_a_run_reads_as_the_records_of_its_frames() -> None:
    records = [record(n, "X") for n in range(1, 6)]
    run = FrameRun(index_of(records), 1, 3, 2, 99.0)
    assert len(run) == 3 and run[-1] == FrameRecord(4, "X", 99.0, records[3].data)
    assert list(run) == [FrameRecord(n, "X", 99.0, records[n - 1].data) for n in (2, 3, 4)]
    assert run[0:2] == list(run)[0:2]
    with pytest.raises(IndexError):
        run[3]
    with pytest.raises(ValueError, match="outside an index of 5 spans"):
        FrameRun(index_of(records), 4, 2, 5, 0.0)


def test_chunks_chain_parts_and_index_across_them() -> None:
    records = [record(n) for n in range(1, 8)]
    chunks = RecordChunks([records[:2], [], FrameRun(index_of(records), 2, 3, 3, 1.0), records[5:]])
    assert len(chunks) == 7 and len(chunks.parts) == 3
    assert [r.seq_num for r in chunks] == list(range(1, 8))
    assert [chunks[i].seq_num for i in range(-7, 7)] == list(range(1, 8)) * 2
    assert as_list(chunks) == list(chunks) and as_list(records) is records
    with pytest.raises(IndexError):
        chunks[7]


@pytest.mark.parametrize("backend", BACKENDS)
def test_runs_and_single_records_are_stored_by_every_backend(backend: str, tmp_path: Path) -> None:
    async def body() -> None:
        store = MessageStoreFactory.get_message_store(backend, tmp_path / "s.db", "FIX.4.4", "SENDER", "TARGET")
        await store.open()
        writer = InboundWriter(store, SESSION, BatchSettings(max_batch=4, flush_interval=0.001))
        records = [record(n, "X") for n in range(1, 11)]
        index = index_of(records)
        writer.received([records[0]])
        writer.received_run(index, 1, 6, 2, 50.0)
        writer.received([records[7]], 9)
        writer.received_run(index, 8, 2, 9, 51.0)
        await writer.close()
        found = await store.query(MessageQuery(session=SESSION, direction=Direction.INBOUND))
        assert [m.seq_num for m in found] == list(range(1, 11))
        assert [m.data for m in found] == [r.data for r in records]
        assert {m.msg_type for m in found} == {"X"}
        assert (await store.sequence_state(SESSION)).next_target_seqnum == 9
        await store.close()

    asyncio.run(body())


def test_memory_store_keeps_runs_whole_until_read_and_later_records_win() -> None:
    async def body() -> None:
        store = MessageStoreFactory.get_message_store("memory", None, "FIX.4.4", "SENDER", "TARGET")
        await store.open()
        records = [record(n, "X") for n in range(1, 4)]
        await store.save_inbound(SESSION, RecordChunks([FrameRun(index_of(records), 0, 3, 1, 7.0)]))
        data = store._data(SESSION)  # type: ignore[attr-defined]
        assert len(data.runs) == 1  # nothing built per frame yet
        replacement = FrameRecord(2, "X", 8.0, records[0].data)
        await store.save_inbound(SESSION, [replacement])
        assert len(data.runs) == 2  # queued behind the run, so that it still wins when both are read
        found = await store.query(MessageQuery(session=SESSION, direction=Direction.INBOUND))
        assert [(m.seq_num, m.sending_time) for m in found] == [(1, 7.0), (2, 8.0), (3, 7.0)]
        assert data.runs == []

    asyncio.run(body())


@pytest.mark.parametrize("mode", ["compiled", "pure"])
def test_a_run_packs_to_the_rows_of_its_records(mode: str) -> None:
    pack = _impl.compiled("storepack") if mode == "compiled" else _impl.pure("storepack")
    if pack is None:
        pytest.skip("compiled storepack not built (or extensions disabled)")
    records = [record(n, "X" if n % 3 else "W") for n in range(1, 9)]
    run = FrameRun(index_of(records), 2, 5, 3, 42.5)
    assert run.pack(pack, 7) == pack.pack_records(7, run.records())
    rows, summary = pack_chunks(pack, 7, RecordChunks([records[:2], run, records[7:]]))
    assert [row[0] & 0xFFFFFFFF for row in rows] == list(range(1, 9))
    assert summary == (1, 8, 42.5, records[7].sending_time, ",W,X,")
    with pytest.raises(ValueError, match="outside the buffer"):
        pack.pack_run(7, b"abc", [1], [5], 1, ["X"], 0.0)
    with pytest.raises(ValueError, match="must match"):
        pack.pack_run(7, b"abc", [0, 1], [1], 1, ["X"], 0.0)
    with pytest.raises(ValueError, match="empty run"):
        pack.pack_run(7, b"abc", [], [], 1, [], 0.0)
    with pytest.raises(ValueError, match=r"outside 1\.\."):
        pack.pack_run(7, b"abc", [0], [1], 0, ["X"], 0.0)
