"""``GcFreeze=Y``: once the engine is up, move every object then alive out of reach of the cyclic garbage collector.

A running engine holds tens of thousands of long-lived container objects (the data dictionary, modules, the
sessions' tables). CPython's full (generation 2) collections walk all of them, and one such walk paused a live
round trip for 13-40 ms here (docs/performance.md, entry 43). :func:`gc.freeze` moves the objects alive at that
moment to a permanent generation that collections skip; they are still freed by reference counting, and only
cycles among them that become garbage later are never reclaimed. The setting is process-wide, so it is off by
default and an engine-wide key; :meth:`FixEngine.disconnect` thaws what its engine froze (:func:`thaw`).
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger("pyfixmsg_plus.engine")


def freeze_survivors() -> int:
    """Collect garbage, then freeze what is left (:func:`gc.freeze`); returns how many objects are frozen now."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.info("GcFreeze: %d objects moved to the permanent generation; full collections skip them", frozen)
    return frozen


def thaw() -> None:
    """Undo :func:`freeze_survivors` (:func:`gc.unfreeze`): the frozen objects go back to the oldest generation,
    so cycles among them that became garbage meanwhile are collected. Process-wide, as the freeze was."""
    gc.unfreeze()
