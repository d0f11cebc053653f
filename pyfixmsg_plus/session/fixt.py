"""FIXT.1.1 sessions: which data dictionary judges each received message.

FIXT.1.1 separates the session protocol from the application version it carries. As QuickFIX does it:

* session-level (admin) messages, MsgType(35) 0, 1, 2, 3, 4, 5, A, are judged by the transport dictionary
  (FIXT11);
* an application message is judged by the dictionary of its ApplVerID(1128) when the header has one, else by
  the counterparty's default application version, the DefaultApplVerID(1137) of its Logon;
* an ApplVerID with no dictionary here gets a session Reject, SessionRejectReason(373) 5 "Value is incorrect
  (out of range) for this tag", RefTagID(371) 1128; an empty one gets 373=4 "Tag specified without a value";
* only the header's ApplVerID counts: a 1128 among the body fields (accepted when ValidateFieldsOutOfOrder=N)
  picks nothing, so the validation and the fast path's learnt shapes always agree on the dictionary.

A received value quoted in a Text(58) or a log line goes through
:func:`~pyfixmsg_plus.session.validation.quote_received`, which cuts it short: a counterparty must not make us echo a
100 kB value back to it or into our logs.

:class:`FixtDictionaries` holds the validators (shared by every session with the same dictionaries and
settings; each application version is built on first use); :class:`ApplVerValidator` is one session's view,
which knows the counterparty's DefaultApplVerID. Choosing a dictionary is one dict lookup per message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pyfixmsg_plus.message.codec import Codec
from pyfixmsg_plus.message.errors import TagSpecifiedWithoutValue
from pyfixmsg_plus.session.config import ADMIN_MSG_TYPES, PairsValidator
from pyfixmsg_plus.session.inbound import HEADER_TAGS
from pyfixmsg_plus.session.validation import quote_received

log = logging.getLogger("pyfixmsg_plus.session")

#: ApplVerID(1128): the application version of one message (FIXT.1.1 header)
APPL_VER_ID = 1128
#: DefaultApplVerID(1137): the application version of a counterparty's messages without ApplVerID (its Logon)
DEFAULT_APPL_VER_ID = 1137
#: SessionRejectReason(373) 5, "Value is incorrect (out of range) for this tag"
_VALUE_IS_INCORRECT = 5

#: ApplVerID(1128) value -> the data dictionary of that application version (FIX 5.0 SP2 ApplVerID enumeration)
APPL_VER_DICTIONARIES: dict[str, str] = {
    "2": "FIX.4.0",
    "3": "FIX.4.1",
    "4": "FIX.4.2",
    "5": "FIX.4.3",
    "6": "FIX.4.4",
    "7": "FIX.5.0",
    "8": "FIX.5.0SP1",
    "9": "FIX.5.0SP2",
}

Pairs = list[tuple[int, bytes]]
ValidatorLoader = Callable[[], PairsValidator]
"""Builds the validator of one application version (may raise OSError/ValueError/KeyError when it cannot)."""


def is_fixt(begin_string: str) -> bool:
    """True for a FIXT.x.y BeginString(8): the session carries application versions named by ApplVerID."""
    return begin_string.startswith("FIXT")


def version_name(appl_ver_id: str) -> str:
    """``"9"`` -> ``"9 (FIX.5.0SP2)"``: an ApplVerID value with the version it stands for, for messages."""
    name = APPL_VER_DICTIONARIES.get(appl_ver_id)
    return f"{appl_ver_id} ({name})" if name else appl_ver_id


class UnsupportedApplVerID(ValueError):
    """ApplVerID(1128), or the counterparty's DefaultApplVerID(1137) standing in for it, names an application
    version without a data dictionary here. Carries ``reason``/``tag``/``text`` as a FixValidationError does,
    so the session answers it with Reject 373=5, 371=1128."""

    reason = _VALUE_IS_INCORRECT

    def __init__(self, value: str, tag: int, known: Sequence[str]) -> None:
        self.value = value
        self.tag = APPL_VER_ID  # the Reject names 1128 even when the value came from DefaultApplVerID
        self.source_tag = tag
        field = "ApplVerID(1128)" if tag == APPL_VER_ID else "DefaultApplVerID(1137) of the Logon"
        supported = ", ".join(version_name(v) for v in known) or "none"
        self.text = f"{field}={quote_received(value)} names no application dictionary here; supported: {supported}"
        super().__init__(self.text)


class UnsupportedOutboundApplVerID(ValueError):
    """The application sends a message whose ApplVerID(1128) names no application dictionary of its FIXT.1.1
    session (which validates with dictionaries): the counterparty could not judge it either."""

    def __init__(self, value: str, msg_type: object, known: Sequence[str]) -> None:
        self.value = value
        supported = ", ".join(version_name(v) for v in known) or "none"
        super().__init__(
            f"cannot send MsgType(35)={msg_type}: ApplVerID(1128)={quote_received(value)} names no application "
            f"dictionary of this FIXT.1.1 session; supported: {supported}"
        )


class FixtDictionaries:
    """The validators of FIXT.1.1 sessions: ``transport`` for admin messages, and a loader per ApplVerID(1128)
    value for application messages (each built on first use, then kept).

    Shared by every session with the same dictionaries and validation settings; it holds no session state.
    ``default_appl_ver_id`` (our own DefaultApplVerID) is used by :meth:`validate` when a message names no
    version and no session is asking (tools outside a session)."""

    def __init__(
        self,
        transport: PairsValidator | None,
        applications: Mapping[str, ValidatorLoader],
        default_appl_ver_id: str | None = None,
    ) -> None:
        self.transport = transport
        self.default_appl_ver_id = default_appl_ver_id
        self._loaders = {value.encode("ascii"): load for value, load in applications.items()}
        self._built: dict[bytes, PairsValidator] = {}
        self._unloadable: dict[bytes, str] = {}  # ApplVerID -> why its dictionary could not be built

    @property
    def supported(self) -> list[str]:
        """The ApplVerID(1128) values with a dictionary (built or not), ascending."""
        return sorted(value.decode("ascii") for value in self._loaders if value not in self._unloadable)

    def for_version(self, appl_ver_id: bytes, tag: int = APPL_VER_ID) -> PairsValidator:
        """The validator of application version ``appl_ver_id`` (an ApplVerID value, e.g. ``b"9"``).

        Raises :class:`UnsupportedApplVerID` naming the value and ``tag`` (1128, or 1137 when the value is the
        counterparty's default) when no dictionary is available or it failed to load."""
        validator = self._built.get(appl_ver_id)
        if validator is not None:
            return validator
        return self._build(appl_ver_id, tag)

    def supports(self, appl_ver_id: bytes) -> bool:
        """True when ``appl_ver_id`` has a dictionary that loads (building it now if it was not yet)."""
        try:
            self.for_version(appl_ver_id, DEFAULT_APPL_VER_ID)
        except UnsupportedApplVerID:
            return False
        return True

    def select(self, msg_type: str, appl_ver_id: bytes | None, default: bytes | None) -> PairsValidator | None:
        """The validator of a message: the transport's for admin MsgTypes, else that of ``appl_ver_id``
        (ApplVerID(1128)), else of ``default`` (the counterparty's DefaultApplVerID(1137)). None: not judged
        (an application message before any default is known cannot arrive: a Logon comes first).

        Raises :class:`UnsupportedApplVerID` for a version without a dictionary, and TagSpecifiedWithoutValue
        (Reject 373=4, 371=1128, as QuickFIX answers) for an empty ApplVerID."""
        if msg_type in ADMIN_MSG_TYPES:
            return self.transport
        if appl_ver_id == b"":
            raise TagSpecifiedWithoutValue(APPL_VER_ID, msg_type, "ApplVerID(1128) is empty")
        if appl_ver_id is not None:
            return self.for_version(appl_ver_id)
        if default is not None:
            return self.for_version(default, DEFAULT_APPL_VER_ID)
        return None

    def validate(self, pairs: Pairs) -> None:
        """Validate ``pairs`` with the dictionary its MsgType(35) and ApplVerID(1128) select, our own
        DefaultApplVerID standing in for a missing 1128 (for callers without a session; a session uses
        :class:`ApplVerValidator`, which knows the counterparty's default)."""
        default = self.default_appl_ver_id
        msg_type, appl_ver_id = header_version(pairs)
        validator = self.select(msg_type, appl_ver_id, default.encode("ascii") if default else None)
        if validator is not None:
            validator.validate(pairs)

    def _build(self, appl_ver_id: bytes, tag: int) -> PairsValidator:
        load = self._loaders.get(appl_ver_id)
        if load is None or appl_ver_id in self._unloadable:
            raise UnsupportedApplVerID(appl_ver_id.decode("latin-1"), tag, self.supported)
        try:
            validator = load()
        except (OSError, ValueError, KeyError) as exc:  # a dictionary file gone or broken: that version is out
            self._unloadable[appl_ver_id] = str(exc)
            log.error("ApplVerID(1128)=%s: cannot load its dictionary: %s", version_name(appl_ver_id.decode()), exc)
            raise UnsupportedApplVerID(appl_ver_id.decode("latin-1"), tag, self.supported) from exc
        self._built[appl_ver_id] = validator
        return validator


def header_version(pairs: Pairs) -> tuple[str, bytes | None]:
    """MsgType(35) and ApplVerID(1128) of a message's header, read until the first body field: a 1128 after a
    body field is no version (the session's validation and the fast path's shapes both read it here)."""
    msg_type, appl_ver_id = "", None
    for tag, value in pairs:
        if tag == 35:
            msg_type = value.decode("latin-1")
        elif tag == APPL_VER_ID:
            appl_ver_id = value
        elif tag not in HEADER_TAGS:
            break
    return msg_type, appl_ver_id


class ApplVerValidator:
    """One FIXT.1.1 session's validator: :class:`FixtDictionaries` plus the counterparty's DefaultApplVerID
    (1137), which the session sets from each Logon it accepts.

    ``validate(pairs)`` and ``shape_spec(pairs)`` make it a :class:`~pyfixmsg_plus.session.config.PairsValidator`
    the fast lane can learn shapes from: a learnt shape keeps ApplVerID(1128) equal to the value it was learnt
    with, so the fast path never accepts a message another dictionary would judge."""

    def __init__(self, dictionaries: FixtDictionaries) -> None:
        self.dictionaries = dictionaries
        #: DefaultApplVerID(1137) of the counterparty's last Logon (None before one)
        self.counterparty_default: bytes | None = None

    @property
    def spec(self) -> Any:
        """The dictionary of the counterparty's default version (else the transport's), for callers that read
        message layouts (the echo application's group order)."""
        default = self.counterparty_default
        validator: Any = self.dictionaries.transport
        if default is not None and self.dictionaries.supports(default):
            validator = self.dictionaries.for_version(default)
        return getattr(validator, "spec", None)

    def select(self, msg_type: str, appl_ver_id: bytes | None) -> PairsValidator | None:
        """The validator of a message (see :meth:`FixtDictionaries.select`): dict lookups only."""
        return self.dictionaries.select(msg_type, appl_ver_id, self.counterparty_default)

    def validate(self, pairs: Pairs) -> None:
        """Validate ``pairs`` with the dictionary of its MsgType(35) and ApplVerID(1128) (or the counterparty's
        default); raises the FixValidationError found, or :class:`UnsupportedApplVerID`."""
        msg_type, appl_ver_id = header_version(pairs)
        validator = self.select(msg_type, appl_ver_id)
        if validator is not None:
            validator.validate(pairs)

    def shape_spec(self, pairs: Pairs) -> list[tuple[Any, ...]] | None:
        """The selected validator's shape description, with ApplVerID(1128) pinned to its value; None when
        the selected validator describes no shapes (the fast path then stays off for this message)."""
        msg_type, appl_ver_id = header_version(pairs)
        try:
            validator = self.select(msg_type, appl_ver_id)
        except (UnsupportedApplVerID, TagSpecifiedWithoutValue):  # rejected by validate: no shape to learn
            return None
        describe = getattr(validator, "shape_spec", None)
        spec: list[tuple[Any, ...]] | None = describe(pairs) if describe is not None else None
        if spec is None:
            return None
        pinned = zip(pairs, spec, strict=True)
        return [("equal", value) if tag == APPL_VER_ID else entry for (tag, value), entry in pinned]


class ApplVerCodec(Codec):
    """The Codec of a FIXT.1.1 session that validates: a message the application sends with its own
    ApplVerID(1128) is ordered by the dictionary of that version (1128 itself goes in the header, where the
    session's message builder places every header tag), and a 1128 naming no version of the session's
    :class:`FixtDictionaries` is refused with :class:`UnsupportedOutboundApplVerID` before it is numbered.

    Parsing is the plain Codec's, with the dictionary of the session's default version."""

    def __init__(self, spec: Any, dictionaries: FixtDictionaries, codec_of: Callable[[str], Codec]) -> None:
        """``codec_of(appl_ver_id)`` gives the (shared) Codec of another version's dictionary."""
        super().__init__(spec=spec)
        self._dictionaries = dictionaries
        self._codec_of = codec_of

    def body_fields(self, msg: Mapping[Any, Any]) -> list[tuple[Any, Any]]:
        """:meth:`Codec.body_fields` by the dictionary of the message's ApplVerID(1128), else the default's."""
        value = msg.get(APPL_VER_ID)
        if value is None:
            return super().body_fields(msg)
        text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        if text not in self._dictionaries.supported:
            raise UnsupportedOutboundApplVerID(text, msg.get(35), self._dictionaries.supported)
        if text == getattr(self.spec, "default_appl_ver_id", None):
            return super().body_fields(msg)
        return self._codec_of(text).body_fields(msg)

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        # a pickled message keeps a plain Codec of the default version: the dictionaries stay with the session
        state = Codec.__getstate__(self)
        state.pop("_dictionaries", None)
        state.pop("_codec_of", None)
        return (Codec.__new__, (Codec,), state)
