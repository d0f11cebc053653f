"""Smoke tests of an installed copy: what a user gets from ``pip install pyfixmsg-plus`` works.

They run in the normal suite from the source tree, and scripts/check_wheel.sh (and cibuildwheel) copies this file
alone into an empty folder and runs it against each installed wheel, so it needs nothing but the package and
pytest: no conftest fixtures, no ../shared, no file of the source tree.

``PYFIXMSG_PLUS_SMOKE_EXPECT=compiled`` (binary wheel) or ``=pure`` (pure wheel, or an sdist installed without a
compiler) makes the tests also assert which implementation the installed copy runs; unset, that test skips.
"""

from __future__ import annotations

import importlib.metadata
import os
from pathlib import Path
from types import ModuleType

import pytest

import pyfixmsg_plus
from pyfixmsg_plus import _impl

EXPECT_ENV = "PYFIXMSG_PLUS_SMOKE_EXPECT"
SOH = b"\x01"


def _implementations() -> list[str]:
    kinds = ["pure"]
    if not _impl.extensions_disabled() and _impl.compiled_available():
        kinds.insert(0, "compiled")
    return kinds


def _module(kind: str, name: str) -> ModuleType:
    found = _impl.compiled(name) if kind == "compiled" else _impl.pure(name)
    assert found is not None, f"{kind} module {name!r} is missing"
    return found


def _frame(framing: ModuleType, seqnum: int, msgtype: bytes = b"0") -> bytes:
    """A valid FIX 4.4 frame: BodyLength(9) and CheckSum(10) computed by the implementation under test."""
    body = b"35=" + msgtype + SOH + b"34=%d" % seqnum + SOH + b"49=SELL" + SOH + b"56=BUY" + SOH
    head = b"8=FIX.4.4" + SOH + b"9=%d" % len(body) + SOH + body
    return head + b"10=" + framing.format_checksum(framing.checksum(head)) + SOH


def test_expected_implementation_is_live() -> None:
    expect = os.environ.get(EXPECT_ENV)
    if expect is None:
        pytest.skip(f"{EXPECT_ENV} is not set (only scripts/check_wheel.sh and cibuildwheel set it)")
    assert expect in ("compiled", "pure"), f"{EXPECT_ENV}={expect!r}: use 'compiled' or 'pure'"
    assert pyfixmsg_plus.USING_EXTENSIONS is (expect == "compiled")


def test_flag_agrees_with_the_modules_in_use() -> None:
    # USING_EXTENSIONS promises that every hot path runs compiled; its absence that PYFIXMSG_PLUS_NO_EXTENSIONS
    # (or a missing build) leaves the twins in use.
    loaded = {name: _impl.load(name).__name__ for name in _impl.TWINS}
    compiled = {name for name, module in loaded.items() if module.startswith("pyfixmsg_plus._speedups.")}
    if pyfixmsg_plus.USING_EXTENSIONS:
        assert compiled == set(_impl.TWINS)
    if _impl.extensions_disabled():
        assert compiled == set()


def test_version_comes_from_one_place() -> None:
    try:
        installed = importlib.metadata.version("pyfixmsg-plus")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("pyfixmsg-plus is not installed (running from a bare source tree)")
    assert installed == pyfixmsg_plus.__version__


def test_typing_marker_and_builtin_dictionaries_are_shipped() -> None:
    from pyfixmsg_plus.message.dictionary import builtin_names, load_builtin

    assert (Path(pyfixmsg_plus.__file__).parent / "py.typed").is_file()
    assert "FIX.4.4" in builtin_names()
    spec = load_builtin("FIX.4.4")
    assert spec.begin_string == "FIX.4.4"
    assert spec.msg_types["D"].name == "NewOrderSingle"


def test_cli_reports_version_and_implementation(capsys: pytest.CaptureFixture[str]) -> None:
    from pyfixmsg_plus.cli.main import main

    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    out = capsys.readouterr().out
    assert pyfixmsg_plus.__version__ in out
    assert ("compiled" if pyfixmsg_plus.USING_EXTENSIONS else "pure Python") in out


@pytest.mark.parametrize("kind", _implementations())
def test_framer_splits_a_stream_fed_byte_by_byte(kind: str) -> None:
    framing = _module(kind, "framing")
    frames = [_frame(framing, 1), _frame(framing, 2, b"D")]
    stream = frames[0] + b"noise" + frames[1]
    framer = framing.Framer()
    found: list[bytes] = []
    seqnums: list[int] = []
    for i in range(len(stream)):
        index = framer.feed(stream[i : i + 1])
        found += index.frames()
        seqnums += [int(n) for n, ok in zip(index.seqnums, index.valid, strict=True) if ok]
    assert found == frames
    assert seqnums == [1, 2]
    assert framer.pending == 0


@pytest.mark.parametrize("kind", _implementations())
def test_framer_rejects_a_wrong_checksum(kind: str) -> None:
    framing = _module(kind, "framing")
    good = _frame(framing, 3)
    bad = good[:-4] + b"%03d" % ((int(good[-4:-1]) + 1) % 256) + SOH
    index = framing.split_frames(bad + good, 1, framing.DEFAULT_MAX_BODY_LENGTH, True)
    assert index.frames() == [good]
    assert [reason for _, _, reason in index.errors()] == ["checksum mismatch"]


def test_demo_finds_every_valid_frame() -> None:
    from pyfixmsg_plus.cli.demo import run_demo

    noisy, report = run_demo(300, seed=11, damage_rate=0.05)
    assert report.frames == noisy.sent_valid > 0
    assert sum(noisy.damaged.values()) > 0  # the stream really was noisy
    assert sum(report.by_type.values()) == report.frames
