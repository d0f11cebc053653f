"""The session's use of the inbound fast path (``RunScanner``, compiled with a pure twin): when it may run, and
the shapes it learns from messages the slow path validated.

The fast path only ever accepts a run of frames that the slow path would accept one by one with the same
outputs (sequence, CompIDs, SendingTime, dictionary); every other frame goes the slow way. It is used for the
application's batch MsgTypes (``onBatch``), which get no per-message callback, so nothing per message is built.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pyfixmsg_plus import _impl
from pyfixmsg_plus.session.config import PairsValidator, SessionConfig

Pairs = Sequence[tuple[int, bytes]]

#: compiled value checks by format name (message/field_formats.py); other formats are called in Python
_FORMAT_KINDS = {
    "LENGTH": "CHECK_DIGITS",
    "NUMINGROUP": "CHECK_DIGITS",
    "SEQNUM": "CHECK_DIGITS",
    "TAGNUM": "CHECK_DIGITS",
    "INT": "CHECK_INT",
    "FLOAT": "CHECK_FLOAT",
    "CHAR": "CHECK_CHAR",
    "BOOLEAN": "CHECK_BOOLEAN",
    "UTCTIMESTAMP": "CHECK_UTCTIMESTAMP",
}


def scanner_checks(spec: Sequence[tuple[Any, ...]]) -> list[tuple[int, Any]]:
    """The validator's shape description (``Validator.shape_spec``) as the scanner's ``(kind, argument)``."""
    fp = _impl.load("fastpath")
    checks: list[tuple[int, Any]] = []
    for entry in spec:
        what = entry[0]
        if what == "none":
            checks.append((fp.CHECK_NONE, None))
        elif what == "equal":
            checks.append((fp.CHECK_EQUAL, entry[1]))
        elif what == "enum":
            checks.append((fp.CHECK_ENUM, entry[1]))
        elif what == "format" and entry[1] in _FORMAT_KINDS:
            checks.append((getattr(fp, _FORMAT_KINDS[entry[1]]), None))
        else:  # ("format", name, check) without a compiled twin, or ("call", check)
            checks.append((fp.CHECK_CALL, entry[-1]))
    return checks


class FastLane:
    """Holds the session's scanner (None when the fast path cannot apply) and teaches it shapes."""

    def __init__(self, config: SessionConfig, validator: PairsValidator | None) -> None:
        self._config = config
        self._validator = validator
        self.scanner: Any = None
        self.rebuild()

    def rebuild(self) -> None:
        """A new scanner for the current settings (batch MsgTypes changed): shapes are learnt afresh."""
        config = self._config
        types = set(config.batch_msg_types)
        if config.supported_app_msg_types is not None:
            types &= set(config.supported_app_msg_types)  # an unsupported type gets its BusinessMessageReject
        # a validator without shape descriptions cannot be skipped: no fast path then
        usable = self._validator is None or hasattr(self._validator, "shape_spec")
        if not types or not usable:
            self.scanner = None
            return
        self.scanner = _impl.load("fastpath").RunScanner(
            config.begin_string.encode("latin-1"),
            config.target_comp_id.encode("latin-1"),
            config.sender_comp_id.encode("latin-1"),
            [t.encode("latin-1") for t in sorted(types)],
            check_comp_ids=config.check_comp_id,
            max_latency=config.max_latency if config.check_latency else None,
            validate=self._validator is not None,
        )

    def learn(self, pairs: Pairs) -> None:
        """``pairs`` (an accepted batch-type message) walked clean: its tag sequence may take the fast path."""
        if self.scanner is None or self._validator is None:
            return
        spec = self._validator.shape_spec(pairs)  # type: ignore[attr-defined]
        if spec is not None:
            self.scanner.learn([tag for tag, _ in pairs], scanner_checks(spec))
