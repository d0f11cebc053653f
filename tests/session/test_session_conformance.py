"""The conformance runner, on inline scripts and on QuickFIX's FIX 4.4 acceptance scripts in ../shared."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyfixmsg_plus.testing import conformance as c

LOGON = "8=FIX.4.4\x0135=A\x0134=1\x0149=TW44\x0152=<TIME>\x0156=ISLD\x0198=0\x01108=30\x01"
REPLY = (
    "8=FIX.4.4\x019=63\x0135=A\x0134=1\x0149=ISLD\x0152=00000000-00:00:00.000\x0156=TW44"
    "\x0198=0\x01108=30\x01"
)


def play(script: str) -> str | None:
    acceptor = c.Acceptor("FIX.4.4")
    patterns = {tag: __import__("re").compile(p) for tag, p in c.DEFAULT_PATTERNS.items()}
    return c.ScriptRunner(acceptor, patterns).run(c.parse_script(script))


def test_parse_script_reads_connection_numbers_and_skips_comments() -> None:
    steps = c.parse_script("# c\n\ni2,CONNECT\nI8=FIX.4.4\x01\nE2,8=FIX\x01\ne1,DISCONNECT\n")
    assert [(s.kind, s.connection, s.line) for s in steps] == [
        ("connect", 2, 3),
        ("send", 1, 4),
        ("expect", 2, 5),
        ("expect_disconnect", 1, 6),
    ]


def test_complete_message_adds_body_length_and_checksum() -> None:
    data = c.complete_message("8=FIX.4.4\x0135=0\x01")
    assert data.startswith(b"8=FIX.4.4\x019=5\x0135=0\x0110=") and len(data) == len(
        "8=FIX.4.4|9=5|35=0|10=nnn|"
    )


def test_inline_script_passes() -> None:
    assert (
        play(
            f"iCONNECT\nI{LOGON}\nE{REPLY}\nI8=FIX.4.4\x0135=5\x0134=2\x0149=TW44\x0152=<TIME>\x0156=ISLD\x01\n"
            "E8=FIX.4.4\x019=51\x0135=5\x0134=2\x0149=ISLD\x0152=00000000-00:00:00.000\x0156=TW44\x01\n"
            "eDISCONNECT\n"
        )
        is None
    )


def test_mismatch_names_the_line_and_the_field() -> None:
    failure = play(f"iCONNECT\nI{LOGON}\nE{REPLY.replace('108=30', '108=31')}\n")
    assert failure is not None and failure.startswith("line 3: field 108: expected '31', got '30'")


def test_waiting_expectation_fires_timers() -> None:
    heartbeat = "8=FIX.4.4\x019=51\x0135=0\x0134=2\x0149=ISLD\x0152=00000000-00:00:00.000\x0156=TW44\x01"
    assert play(f"iCONNECT\nI{LOGON}\nE{REPLY}\nE{heartbeat}\n") is None


def test_fix44_acceptance_scripts(shared_dir: Path) -> None:
    directory = Path(shared_dir) / "conformance" / "quickfix" / "fix44"
    if not directory.is_dir():
        pytest.skip(f"QuickFIX FIX 4.4 acceptance scripts not found in {directory}")
    results = c.run_directory(directory)
    failures = [f"{r.name}: {r.failure}" for r in results if not r.passed]
    assert failures == [], "\n".join(failures)
    assert len(results) == 59
