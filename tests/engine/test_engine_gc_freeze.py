"""``GcFreeze=Y``: the engine freezes the objects alive once it is open, so full collections skip them."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from engine_kit import acceptor_config, free_port, run_bounded

from pyfixmsg_plus.application import Application
from pyfixmsg_plus.config import ConfigManager
from pyfixmsg_plus.engine import FixEngine
from pyfixmsg_plus.engine.gc_freeze import freeze_survivors


@pytest.fixture(autouse=True)
def thawed() -> Iterator[None]:
    """Each test starts and ends with nothing frozen (a frozen test process would keep its cycles)."""
    gc.unfreeze()
    yield
    gc.unfreeze()


def _opened_and_closed(config: ConfigManager) -> int:
    """How many objects were frozen while an engine of ``config`` was open."""

    async def scenario() -> int:
        engine = await FixEngine.create(config, Application())
        await engine.open()
        frozen = gc.get_freeze_count()
        await engine.disconnect()
        assert gc.get_freeze_count() == 0  # thawed: cycles dropped while the engine ran are collectable again
        return frozen

    return int(run_bounded(scenario()))


def test_gc_freeze_y_freezes_the_objects_alive_once_the_engine_is_open() -> None:
    config = acceptor_config(free_port(), ["CL1"], GcFreeze="Y")
    assert config.engine_settings().gc_freeze is True
    frozen = _opened_and_closed(config)
    # the engine's sessions, the data dictionary and every module loaded so far: many thousands
    assert frozen > 10_000


def test_by_default_nothing_is_frozen() -> None:
    config = acceptor_config(free_port(), ["CL1"])
    assert config.engine_settings().gc_freeze is False
    assert _opened_and_closed(config) == 0


def test_freeze_survivors_collects_the_garbage_first() -> None:
    """Cycles already unreachable are freed, not frozen for the life of the process."""

    class Node:
        partner: object

    a, b = Node(), Node()
    a.partner, b.partner = b, a
    probe = weakref.ref(a)
    del a, b  # unreachable now: only the cyclic collector can free them
    frozen = freeze_survivors()
    assert probe() is None
    assert frozen == gc.get_freeze_count() > 0
