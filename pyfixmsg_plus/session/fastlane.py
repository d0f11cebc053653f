"""The session's use of the inbound fast path (``RunScanner``, compiled with a pure twin): when it may run, and
the shapes it learns from messages the slow path validated.

The fast path only ever accepts a run of frames that the slow path would accept one by one with the same
outputs (sequence, CompIDs, SendingTime, dictionary); every other frame goes the slow way. For the application's
batch MsgTypes (``onBatch``) nothing per message is built; other application messages still get their
MessageReceived each, without the per-message checks in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pyfixmsg_plus import _impl
from pyfixmsg_plus.session.config import PairsValidator, SessionConfig

# the kinds are the same numbers in both twins (the compiled module asserts it)
from pyfixmsg_plus.session.fastpath_py import CHECK_CALL, CHECK_ENUM, CHECK_EQUAL, CHECK_NONE, FORMAT_KINDS

Pairs = Sequence[tuple[int, bytes]]

def scanner_checks(spec: Sequence[tuple[Any, ...]]) -> list[tuple[int, Any]]:
    """The validator's shape description (``Validator.shape_spec``) as the scanner's ``(kind, argument)``."""
    checks: list[tuple[int, Any]] = []
    for entry in spec:
        what = entry[0]
        if what == "none":
            checks.append((CHECK_NONE, None))
        elif what == "equal":
            checks.append((CHECK_EQUAL, entry[1]))
        elif what == "enum":
            checks.append((CHECK_ENUM, entry[1]))
        elif what == "format" and entry[1] in FORMAT_KINDS:
            checks.append((FORMAT_KINDS[entry[1]], None))
        else:  # ("format", name, check) without a compiled twin, or ("call", check)
            checks.append((CHECK_CALL, entry[-1]))
    return checks


class FastLane:
    """Holds the session's two scanners and teaches them shapes: ``batch`` for the application's batch MsgTypes
    (runs handed over whole), ``app`` for the other application MsgTypes, allowed one by one as the slow path
    accepts a first message of each (runs delivered message by message, without the per-message checks in
    Python). Either is None when the fast path cannot apply."""

    def __init__(self, config: SessionConfig, validator: PairsValidator | None) -> None:
        self._config = config
        self._validator = validator
        self.batch: Any = None
        self.app: Any = None
        self.rebuild()

    def rebuild(self) -> None:
        """New scanners for the current settings (batch MsgTypes changed): shapes are learnt afresh."""
        config = self._config
        # a validator without shape descriptions cannot be skipped: no fast path then
        if self._validator is not None and not hasattr(self._validator, "shape_spec"):
            self.batch = self.app = None
            return
        types = set(config.batch_msg_types)
        if config.supported_app_msg_types is not None:
            types &= set(config.supported_app_msg_types)  # an unsupported type gets its BusinessMessageReject
        self.batch = self._scanner(types) if types else None
        self.app = self._scanner(set())

    def disable(self) -> None:
        """Every frame takes the slow path (until the next :meth:`rebuild`): for comparisons and diagnosis."""
        self.batch = self.app = None

    def _scanner(self, types: set[str]) -> Any:
        config = self._config
        return _impl.load("fastpath").RunScanner(
            config.begin_string.encode("latin-1"),
            config.target_comp_id.encode("latin-1"),
            config.sender_comp_id.encode("latin-1"),
            [t.encode("latin-1") for t in sorted(types)],
            check_comp_ids=config.check_comp_id,
            max_latency=config.max_latency if config.check_latency else None,
            validate=self._validator is not None,
        )

    def learn_batch(self, pairs: Pairs) -> None:
        """``pairs`` (an accepted batch-type message) walked clean: its tag sequence may take the fast path."""
        self._learn(self.batch, pairs)

    def learn_app(self, msg_type: str, pairs: Pairs) -> None:
        """``pairs``, an application message of ``msg_type`` outside the batch types, was accepted and
        delivered: its MsgType and tag sequence may take the fast path."""
        if self.app is not None and self.app.allow(msg_type.encode("latin-1")):
            self._learn(self.app, pairs)

    def _learn(self, scanner: Any, pairs: Pairs) -> None:
        if scanner is None or self._validator is None or scanner.knows(pairs):
            return  # the shape (and its MsgType and group counts) is held already: nothing to re-learn
        spec = self._validator.shape_spec(pairs)  # type: ignore[attr-defined]
        if spec is not None:
            scanner.learn([tag for tag, _ in pairs], scanner_checks(spec))
