"""Event-loop choice: uvloop when installed unless disabled, the standard loop otherwise."""

from __future__ import annotations

import asyncio
import importlib.util
import sys

import pytest

from pyfixmsg_plus.transport import install_event_loop, loop_factory, loop_name, run

HAVE_UVLOOP = importlib.util.find_spec("uvloop") is not None


async def _running_loop_name() -> str:
    return loop_name()


def test_disabled_uses_the_standard_loop() -> None:
    factory, name = loop_factory(False)
    assert name == "asyncio"
    assert factory is asyncio.new_event_loop
    assert run(_running_loop_name(), use_uvloop=False) == "asyncio"


@pytest.mark.skipif(not HAVE_UVLOOP, reason="uvloop is not installed (pip install 'pyfixmsg-plus[uvloop]')")
def test_uvloop_is_used_when_installed_unless_disabled() -> None:
    assert loop_factory(None)[1] == "uvloop"
    assert run(_running_loop_name(), use_uvloop=None) == "uvloop"
    assert run(_running_loop_name(), use_uvloop=True) == "uvloop"


def test_missing_uvloop_falls_back_or_errors_as_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # makes "import uvloop" fail
    assert loop_factory(None)[1] == "asyncio"
    with pytest.raises(ImportError, match=r"use_uvloop=True but uvloop is not installed"):
        loop_factory(True)


def test_install_event_loop_sets_the_default_policy() -> None:
    try:
        assert install_event_loop(False) == "asyncio"
        assert asyncio.run(_running_loop_name()) == "asyncio"
        if HAVE_UVLOOP:
            assert install_event_loop(None) == "uvloop"
            assert asyncio.run(_running_loop_name()) == "uvloop"
    finally:
        asyncio.set_event_loop_policy(None)
