"""Collects the frames of batch message types accepted during one input, for one ``BatchReceived`` event.

Market-data users (``SessionConfig.batch_msg_types``) receive every accepted frame of those MsgTypes (35) of a
socket read as one FrameIndex instead of one MessageReceived per message. The session still applies every rule
to each frame (sequence, CompIDs, SendingTime, dictionary); only the delivery is batched.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from pyfixmsg_plus import _impl


def restrict(index: Any, positions: Sequence[int] | np.ndarray | slice) -> Any:
    """A FrameIndex with only the spans at ``positions`` of ``index`` (same buffer, no bytes copied; a slice
    gives views of the arrays)."""
    chosen = positions if isinstance(positions, slice) else np.asarray(positions, dtype=np.intp)
    framing = _impl.load("framing")
    return framing.FrameIndex(
        index.buffer,
        index.consumed,
        index.offsets[chosen],
        index.lengths[chosen],
        index.seqnums[chosen],
        index.msgtypes[chosen],
        index.reasons[chosen],
        index.sep,
    )


def index_of_frames(frames: Iterable[bytes]) -> Any:
    """A FrameIndex over ``frames`` (complete, verified frames) laid end to end in one new buffer."""
    framing = _impl.load("framing")
    return framing.split_frames(b"".join(frames), 1, framing.DEFAULT_MAX_BODY_LENGTH, True)


class BatchCollector:
    """The accepted batch-type frames of the current input, in acceptance (MsgSeqNum) order.

    A frame accepted from the index being processed is kept as its span position (no copy); one that comes
    from elsewhere (an early message queued by an earlier read, or ``receive_frame``) is kept as bytes, and the
    batch is then rebuilt over a new buffer.
    """

    __slots__ = ("_frames", "_positions", "_source", "_stretch", "_uniform", "insert_at")

    def __init__(self) -> None:
        self._source: Any = None
        self._positions: list[int] = []
        self._frames: list[bytes | None] = []
        self._uniform = True
        self._stretch = True
        #: where in the input's output list the BatchReceived event goes (the first accepted frame's place)
        self.insert_at = -1

    def begin(self, source: Any) -> None:
        """Start an input whose frames come from the FrameIndex ``source`` (None: single frames)."""
        self._source = source
        self._positions.clear()
        self._frames.clear()
        self._uniform = True
        self._stretch = True
        self.insert_at = -1

    def add_run(self, source: Any, start: int, count: int, output_position: int) -> None:
        """Keep ``count`` accepted frames of ``source`` from span ``start`` on (no object per frame)."""
        if self.insert_at < 0:
            self.insert_at = output_position
        if source is not self._source:
            self._uniform = False
            self._frames.extend(source.frame(p) for p in range(start, start + count))
        else:
            self._frames.extend([None] * count)  # taken from the source only if the batch must be rebuilt
        self._note_stretch(start, count)
        self._positions.extend(range(start, start + count))

    def _note_stretch(self, start: int, count: int) -> None:
        """Track whether every kept position so far follows the previous one (one unbroken stretch)."""
        if self._positions and start != self._positions[-1] + 1:
            self._stretch = False

    def add(self, frame: bytes, source: Any, position: int, output_position: int) -> None:
        """Keep an accepted frame; ``source``/``position`` say where it sits (None/-1 when nowhere known)."""
        if self.insert_at < 0:
            self.insert_at = output_position
        if source is None or source is not self._source or position < 0:
            self._uniform = False
        self._note_stretch(position, 1)
        self._positions.append(position)
        self._frames.append(frame)

    def __len__(self) -> int:
        return len(self._frames)

    def take(self) -> Any:
        """The FrameIndex of the collected frames (None when there are none), and start afresh."""
        if not self._frames:
            return None
        positions = self._positions
        if not self._uniform:
            batch = index_of_frames(
                frame if frame is not None else self._source.frame(position)
                for frame, position in zip(self._frames, positions, strict=True)
            )
        elif self._stretch:  # positions k, k+1, ...: array views, nothing copied
            batch = restrict(self._source, slice(positions[0], positions[-1] + 1))
        else:
            batch = restrict(self._source, positions)
        self.begin(None)
        return batch


def per_frame_groups(index: Any, batch_types: frozenset[bytes]) -> list[list[int]]:
    """Span positions of ``index`` split into one session input per valid frame, for per-frame delivery.

    Garbled spans travel with the valid frame that follows them; consecutive valid frames whose MsgType(35)
    is in ``batch_types`` stay in one input (they trigger no per-message callback, only ``onBatch``).
    """
    groups: list[list[int]] = []
    current: list[int] = []
    count = len(index)
    for i in range(count):
        current.append(i)
        if not index.valid[i]:
            continue
        if batch_types and i + 1 < count and index.valid[i + 1] and index.msgtype(i) in batch_types \
                and index.msgtype(i + 1) in batch_types:
            continue
        groups.append(current)
        current = []
    if current:
        groups.append(current)
    return groups
