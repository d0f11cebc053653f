"""``Application.toAdmin``: each admin frame the session built is shown to the application before it is stored
and written; a frame whose message it changed (e.g. Username(553)/Password(554) added to the Logon) is re-encoded,
so the change reaches the wire. The fields the session owns keep the session's values."""

from __future__ import annotations

import copy
import dataclasses
import logging
from collections.abc import Callable, Sequence
from typing import Any

from pyfixmsg_plus.application import Application, call_maybe_async
from pyfixmsg_plus.message.codec import Codec
from pyfixmsg_plus.message.fixmessage import FixMessage
from pyfixmsg_plus.session import SendFrame
from pyfixmsg_plus.session.config import ADMIN_MSG_TYPES

log = logging.getLogger("pyfixmsg_plus.engine")

#: fields toAdmin may not change: the session numbered and addressed the frame (BeginString, MsgSeqNum,
#: MsgType, SenderCompID, TargetCompID); BodyLength and CheckSum are recomputed
SESSION_OWNED_TAGS = (8, 34, 35, 49, 56)


async def tell_admin(
    frames: Sequence[SendFrame], app: Application, codec: Codec, decode: Callable[[bytes], FixMessage],
    session_id: Any,
) -> Sequence[SendFrame]:  # fmt: skip
    """``frames`` with each admin frame shown to ``app.toAdmin`` and replaced when its message changed."""
    told: list[SendFrame] | None = None
    for i, frame in enumerate(frames):
        if frame.msg_type not in ADMIN_MSG_TYPES:
            continue
        changed = await _after_to_admin(frame.frame, app, codec, decode, session_id)
        if changed is not None:
            told = told if told is not None else list(frames)
            told[i] = dataclasses.replace(frame, frame=changed)
    return told if told is not None else frames


async def _after_to_admin(
    frame: bytes, app: Application, codec: Codec, decode: Callable[[bytes], FixMessage], session_id: Any
) -> bytes | None:
    """The frame re-encoded when ``toAdmin`` changed its message, None when it left it as it was."""
    message = decode(frame)
    before = copy.deepcopy(dict(message))
    await call_maybe_async(app.toAdmin, message, session_id)
    if dict(message) == before:
        return None  # unchanged: the session's bytes (QuickFIX's field order) go out as they are
    for tag in SESSION_OWNED_TAGS:
        if message.get(tag) != before.get(tag):
            log.warning("session %s: toAdmin changed tag %d of a 35=%s message; the session's value is kept",
                        session_id, tag, before.get(35))  # fmt: skip
            if tag in before:
                message[tag] = before[tag]
            else:
                message.pop(tag, None)
    for tag in (9, 10):
        message.pop(tag, None)
    encoded: bytes = codec.encode(message)
    return encoded
