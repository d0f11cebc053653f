"""The ``query`` and ``store prune`` subcommands on a real store file."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

import pytest

from pyfixmsg_plus.cli import query as query_cli
from pyfixmsg_plus.cli import store as store_cli
from pyfixmsg_plus.store import FrameRecord, SessionKey, open_store
from pyfixmsg_plus.store.crash_harness import fix_frame

SESSION = SessionKey("FIX.4.4", "SENDER", "TARGET")
NOW = time.time()


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="pyfixmsg-plus")
    subparsers = root.add_subparsers(dest="command")
    query_cli.register(subparsers)
    store_cli.register(subparsers)
    return root


def run_cli(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    return int(args.func(args))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "fix_state.db"

    async def fill() -> None:
        store = await open_store("database", path)
        old = [FrameRecord(s, "0", NOW - 10 * 86400, fix_frame([(35, "0"), (34, str(s))])) for s in (1, 2)]
        new = [FrameRecord(s, "D", NOW - 60, fix_frame([(35, "D"), (34, str(s))])) for s in (3, 4, 5)]
        await store.save_outbound(SESSION, old)
        await store.save_outbound(SESSION, new)
        await store.close()

    asyncio.run(fill())
    return path


def test_query_json_lines_by_session_type_and_seq(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "query",
        "--db",
        str(db),
        "--session",
        "SENDER-TARGET",
        "--msg-type",
        "D",
        "--from-seq",
        "4",
        "--json",
    ]
    assert run_cli(argv) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(m["seq_num"], m["msg_type"], m["direction"]) for m in lines] == [
        (4, "D", "out"),
        (5, "D", "out"),
    ]
    assert lines[0]["message"].startswith("8=FIX.4.4|9=")


def test_query_time_range_table(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["query", "--db", str(db), "--since", str(NOW - 3600)]) == 0
    out = capsys.readouterr().out
    assert "3 stored message(s)" in out and "FIX.4.4:SENDER->TARGET" in out


def test_unknown_session_names_the_known_ones(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["query", "--db", str(db), "--session", "X-Y"]) == 1
    assert "'X-Y' is not in the store; sessions: FIX.4.4:SENDER-TARGET" in capsys.readouterr().err


def test_prune_older_than(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["store", "prune", "--db", str(db), "--older-than", "7d", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["removed"] == 2
    assert run_cli(["query", "--db", str(db), "--json"]) == 0
    assert [json.loads(line)["seq_num"] for line in capsys.readouterr().out.splitlines()] == [3, 4, 5]


def test_corrupted_file_is_reported_with_its_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"garbage" * 1000)
    assert run_cli(["query", "--db", str(bad)]) == 1
    assert f"store error: message store {bad}" in capsys.readouterr().err


def test_bad_duration_is_rejected(db: Path) -> None:
    with pytest.raises(SystemExit):
        parser().parse_args(["store", "prune", "--db", str(db), "--older-than", "soon"])
