"""Message-store throughput: messages persisted per second for each backend x persistence mode, beside the raw
batched SQLite ceiling measured in the same run (:mod:`pyfixmsg_plus.bench.sqlite_ceiling`: 200-byte rows into
our stores' schema, WAL, synchronous=NORMAL, as many rows per commit as our writers' batches, by executemany and by
multi-row INSERTs, the faster kept).

    python3 benchmarks/bench_store.py            # the table (add --messages N, --json)
    python3 -m pytest benchmarks/bench_store.py  # pytest-benchmark suites
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pyfixmsg_plus.bench.sqlite_ceiling import CEILING_BATCH, measure_best_ceiling, synthetic_rows
from pyfixmsg_plus.store import BatchSettings, FrameRecord, MessageStoreFactory, SessionKey, make_writer
from pyfixmsg_plus.store.crash_harness import order_frame

SESSION = SessionKey("FIX.4.4", "BENCH", "PEER")
ROW_BYTES = 200
GROUP_SENDERS = 512  # concurrent senders: the "messages of the same moment" group commit batches
SETTINGS = BatchSettings(max_batch=5000, flush_interval=0.002, reserve_block=100_000)


def frames(count: int, first: int = 1) -> list[FrameRecord]:
    """``count`` NewOrderSingle records of about 200 bytes, numbered from ``first``."""
    now = time.time()
    return [FrameRecord(seq, "D", now, order_frame(seq, now)) for seq in range(first, first + count)]


def raw_ceiling(directory: Path, count: int) -> float:
    """Rows per second of plain sqlite3 storing ``count`` 200-byte rows into new files in ``directory`` of our
    stores' schema (WAL, synchronous=NORMAL, CEILING_BATCH rows per commit; the faster method)."""
    return measure_best_ceiling(directory, synthetic_rows(count, ROW_BYTES), CEILING_BATCH).rows_per_second


async def persist(backend: str, mode: str, path: Path, records: list[FrameRecord], per_call: int = 1) -> float:
    """Messages per second stored through ``mode``'s writer, until the last one is durable.

    ``per_call``: frames handed over per ``before_send`` call (1 = one message at a time; more = the frames a
    session produces in one tick, as an engine answering a burst or a market-data publisher does).
    """
    store = MessageStoreFactory.get_message_store(backend, path)
    await store.open()
    writer = make_writer(mode, store, SESSION, SETTINGS)
    await writer.recover()
    start = time.perf_counter()
    chunks = [records[i : i + per_call] for i in range(0, len(records), per_call)]
    if mode == "group":
        await _concurrent_senders(writer, chunks)
    else:
        for chunk in chunks:
            await writer.before_send(chunk)
            writer.after_send(chunk)
    await writer.flush()
    elapsed = time.perf_counter() - start
    await writer.close()
    await store.close()
    return len(records) / elapsed


async def _concurrent_senders(writer: Any, chunks: list[list[FrameRecord]]) -> None:
    async def sender(mine: list[list[FrameRecord]]) -> None:
        for chunk in mine:
            await writer.before_send(chunk)

    senders = min(GROUP_SENDERS, len(chunks))
    await asyncio.gather(*(sender(chunks[i::senders]) for i in range(senders)))


def run_table(messages: int, sync_messages: int, per_call: int) -> list[dict[str, Any]]:
    """One run: the ceiling and every backend x mode, in the same process and directory."""
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        ceiling = raw_ceiling(Path(tmp), messages)
        results.append(
            {
                "backend": "sqlite3 raw",
                "mode": "executemany",
                "per_call": CEILING_BATCH,
                "messages": messages,
                "per_s": ceiling,
            }
        )
        for backend in ("memory", "database", "aiosqlite"):
            for mode, calls in (("sync", (1,)), ("group", (1, per_call)), ("write_behind", (1, per_call))):
                for each in calls:
                    count = sync_messages if mode == "sync" else messages
                    path = Path(tmp) / f"{backend}-{mode}-{each}.db"
                    rate = asyncio.run(persist(backend, mode, path, frames(count), each))
                    results.append(
                        {"backend": backend, "mode": mode, "per_call": each, "messages": count, "per_s": rate}
                    )
    for row in results:
        row["x_ceiling"] = round(float(row["per_s"]) / ceiling, 3)
    return results


def main(argv: list[str] | None = None) -> int:
    """Print messages persisted per second per backend x mode beside the raw SQLite ceiling."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--sync-messages", type=int, default=5_000, help="sync commits once per message")
    parser.add_argument("--per-call", type=int, default=100, help="frames per call in the batched rows")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = run_table(args.messages, args.sync_messages, args.per_call)
    if args.json:
        for row in results:
            print(json.dumps(row))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"messages persisted per second ({ROW_BYTES}-byte frames, WAL, synchronous=NORMAL)")
    for column in ("backend", "mode", "frames/call", "messages", "msg/s", "x raw ceiling"):
        table.add_column(column, justify="right" if column != "backend" else "left")
    for row in results:
        table.add_row(
            str(row["backend"]),
            str(row["mode"]),
            str(row["per_call"]),
            str(row["messages"]),
            f"{float(row['per_s']):,.0f}",
            f"{row['x_ceiling']:.2f}",
        )
    Console().print(table)
    return 0


# -- pytest-benchmark ---------------------------------------------------------------------------------------
def test_bench_pack_records(benchmark: Any) -> None:
    from pyfixmsg_plus import _impl

    pack = _impl.load("storepack").pack_records
    records = frames(2000)
    rows, _ = benchmark(pack, 2, records)
    assert len(rows) == 2000


def test_bench_raw_ceiling(benchmark: Any, tmp_path: Path) -> None:
    counter = iter(range(1_000_000))
    def fresh_directory() -> Path:
        directory = tmp_path / f"raw{next(counter)}"
        directory.mkdir()
        return directory

    rate = benchmark.pedantic(lambda: raw_ceiling(fresh_directory(), 50_000), rounds=3)
    assert rate > 0


def _bench_mode(benchmark: Any, tmp_path: Path, backend: str, mode: str, count: int) -> None:
    counter = iter(range(1_000_000))

    def once() -> float:
        return asyncio.run(persist(backend, mode, tmp_path / f"{mode}{next(counter)}.db", frames(count)))

    assert benchmark.pedantic(once, rounds=3) > 0


def test_bench_aiosqlite_group(benchmark: Any, tmp_path: Path) -> None:
    _bench_mode(benchmark, tmp_path, "aiosqlite", "group", 50_000)


def test_bench_aiosqlite_write_behind(benchmark: Any, tmp_path: Path) -> None:
    _bench_mode(benchmark, tmp_path, "aiosqlite", "write_behind", 50_000)


def test_bench_sqlite_sync(benchmark: Any, tmp_path: Path) -> None:
    _bench_mode(benchmark, tmp_path, "database", "sync", 2_000)


if __name__ == "__main__":
    sys.exit(main())
