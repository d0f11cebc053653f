"""What the memory store keeps must not make full garbage collections grow with it: after any number of saves and
a ``gc.collect()``, the objects the collector tracks inside the store stay the same few (a FrameRecord, a list per
received batch or a FrameRun per read would each stay tracked, so every generation-2 collection would walk them)."""

from __future__ import annotations

import asyncio
import gc
import types
from collections.abc import Callable
from typing import Any

import pytest

from pyfixmsg_plus.store import Direction, FrameRecord, MemoryStore, MessageQuery, SessionKey
from pyfixmsg_plus.store.crash_harness import fix_frame
from pyfixmsg_plus.store.runs import FrameRun, RecordChunks

SESSION = SessionKey("FIX.4.4", "ME", "YOU")
#: roots the walk does not enter: they are shared by the whole program, not held by the store
_SHARED = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType)


def frame(seq_num: int, msg_type: str = "8") -> bytes:
    return fix_frame([(35, msg_type), (49, "YOU"), (56, "ME"), (34, str(seq_num))])


def tracked_inside(store: MemoryStore) -> int:
    """How many objects reachable from ``store`` (classes, modules and functions aside) the collector tracks."""
    gc.collect()  # a full collection: CPython untracks the tuples of atomic objects it finds
    seen = {id(store)}
    stack: list[Any] = [store]
    tracked = 0
    while stack:
        obj = stack.pop()
        tracked += gc.is_tracked(obj)
        for child in gc.get_referents(obj):
            if id(child) not in seen and not isinstance(child, _SHARED):
                seen.add(id(child))
                stack.append(child)
    return tracked


def fill(store: MemoryStore, count: int, framer: Callable[[bytes], Any]) -> None:
    """``count`` round trips as the engine books them: one order out, and one report in, alternately as a
    plain record (chunked by the inbound flusher) and as a run of one read (the fast path)."""

    async def scenario() -> None:
        for n in range(1, count + 1):
            await store.save_outbound(SESSION, [FrameRecord(n, "D", float(n), frame(n, "D"))])
            if n % 2:
                chunks = RecordChunks([(FrameRecord(n, "8", float(n), frame(n)),)], [1])
                await store.save_inbound(SESSION, chunks, n + 1)
            else:
                await store.save_inbound(SESSION, RecordChunks([FrameRun(framer(frame(n)), 0, 1, n, float(n))]), n + 1)

    asyncio.run(scenario())


@pytest.fixture
def framer(impl: Any) -> Callable[[bytes], Any]:
    return lambda data: impl.framing.Framer().feed(data)


def test_tracked_objects_do_not_grow_with_the_saves(framer: Callable[[bytes], Any]) -> None:
    small, large = MemoryStore(), MemoryStore()
    fill(small, 20, framer)
    fill(large, 400, framer)
    assert tracked_inside(large) == tracked_inside(small)
    frames = asyncio.run(large.get_outbound_frames(SESSION, 1, 0))
    assert [seq for seq, _, _ in frames] == list(range(1, 401)) and frames[-1][1:] == (frame(400, "D"), "D")


def test_reading_and_pruning_keep_the_store_untracked(framer: Callable[[bytes], Any]) -> None:
    small, large = MemoryStore(), MemoryStore()
    for store, count in ((small, 20), (large, 400)):
        fill(store, count, framer)
        inbound = asyncio.run(store.query(MessageQuery(direction=Direction.INBOUND)))
        assert [(m.seq_num, m.msg_type, m.sending_time, m.data) for m in inbound] == [
            (n, "8", float(n), frame(n)) for n in range(1, count + 1)
        ]
        assert asyncio.run(store.prune(6.0)) == 10  # MsgSeqNum(34) 1..5 both ways
    assert tracked_inside(large) == tracked_inside(small)
    assert asyncio.run(large.get_outbound(SESSION, 6, 6))[0].sending_time == 6.0
