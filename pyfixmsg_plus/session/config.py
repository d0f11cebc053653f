"""Session identity and settings; names follow QuickFIX's where users know them (ResetOnLogon, ...)."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol


class Role(enum.Enum):
    """Which side opens the connection and sends the first Logon."""

    ACCEPTOR = "acceptor"
    INITIATOR = "initiator"


class Persistence(enum.Enum):
    """When an outbound frame must reach the store relative to the socket (see DESIGN.md)."""

    SYNC = "sync"  # stored before it is written (QuickFIX's behaviour)
    GROUP = "group"  # stored with the frames of the same moment in one transaction, then written
    WRITE_BEHIND = "write_behind"  # written at once, stored shortly after


@dataclass(frozen=True, slots=True)
class SessionID:
    """Session identity: BeginString + SenderCompID + TargetCompID (+ an optional qualifier), as QuickFIX."""

    begin_string: str
    sender_comp_id: str
    target_comp_id: str
    qualifier: str = ""

    def __str__(self) -> str:
        suffix = f":{self.qualifier}" if self.qualifier else ""
        return f"{self.begin_string}:{self.sender_comp_id}->{self.target_comp_id}{suffix}"


class PairsValidator(Protocol):
    """What the session needs from ``pyfixmsg_plus.message.validation.Validator``."""

    def validate(self, pairs: list[tuple[int, bytes]]) -> None:
        """Raise a FixValidationError (``.tag``, ``.reason``, ``.text``) for the first problem found."""


# : a hook that checks a received Logon (its (tag, value) pairs); returns None to accept or the Logout text
# to refuse
LogonCheck = Callable[[list[tuple[int, bytes]]], "str | None"]

ADMIN_MSG_TYPES = frozenset({"0", "1", "2", "3", "4", "5", "A"})
#: the first version (``version_key``) whose Logon(35=A) has NextExpectedMsgSeqNum(789): FIX 4.4
FIRST_VERSION_WITH_NEXT_EXPECTED = (4, 4)


@dataclass(slots=True)
class SessionConfig:
    """Settings of one session. Times are in seconds."""

    begin_string: str
    sender_comp_id: str
    target_comp_id: str
    role: Role = Role.ACCEPTOR
    qualifier: str = ""
    #: HeartBtInt (108) the initiator proposes; an acceptor adopts the counterparty's value
    heartbeat_interval: int = 30
    #: silence on receive before a TestRequest, as a fraction of HeartBtInt added to it (FIX: "reasonable
    #: transmission time"); QuickFIX waits 1.5 x HeartBtInt, i.e. a margin of 0.5
    test_request_margin: float = 0.5
    # : silence on receive, in HeartBtInt units, after which the session gives up and disconnects
    # (QuickFIX: 2.4)
    receive_timeout_factor: float = 2.4
    logon_timeout: float = 10.0  # LogonTimeout
    logout_timeout: float = 2.0  # LogoutTimeout
    reset_on_logon: bool = False  # ResetOnLogon
    reset_on_logout: bool = False  # ResetOnLogout
    reset_on_disconnect: bool = False  # ResetOnDisconnect
    check_comp_id: bool = True  # CheckCompID
    check_latency: bool = True  # CheckLatency
    max_latency: float = 120.0  # MaxLatency: tolerated |SendingTime(52) - now|
    #: ResendRequestChunkSize: largest range asked in one ResendRequest (35=2); 0 = all at once
    resend_request_chunk_size: int = 0
    send_redundant_resend_requests: bool = False  # SendRedundantResendRequests
    #: application message types answered with SequenceReset-GapFill instead of being replayed
    non_resendable_msg_types: frozenset[str] = frozenset()
    #: application message types the application handles; others get a BusinessMessageReject (35=j).
    #: None = every type is passed to the application
    supported_app_msg_types: frozenset[str] | None = None
    #: application MsgTypes (35) delivered as one BatchReceived per input instead of one MessageReceived each
    #: (market data); admin types may not be listed
    batch_msg_types: frozenset[str] = frozenset()
    #: SendingTime precision: "s", "ms", "us" or "ns" (FIX 4.0/4.1 only know seconds)
    timestamp_precision: str = "ms"
    persistence: Persistence = Persistence.SYNC
    username: str | None = None  # Username (553) sent in the initiator's Logon
    password: str | None = None  # Password (554) sent in the initiator's Logon
    #: application hook that accepts or refuses a received Logon before the session is Active
    logon_check: LogonCheck | None = None
    #: TestReqID (112) of the TestRequests the session sends
    test_request_id: str = "TEST"
    #: extra (tag, value) fields for the Logon the session sends (e.g. DefaultApplVerID 1137 for FIXT.1.1)
    logon_extra_fields: Sequence[tuple[int, str]] = field(default_factory=tuple)
    # : drop valid frames that start inside the span a garbled frame's BodyLength(9) claimed, as a
    # stream reader
    #: that trusts BodyLength (QuickFIX) does
    discard_frames_within_bad_length: bool = True
    #: EnableNextExpectedMsgSeqNum: our Logons carry NextExpectedMsgSeqNum(789) and a received one drives the
    #: recovery (resend from it, no ResendRequest for our own gap); FIX 4.4 and FIXT.1.1 only
    enable_next_expected_msg_seq_num: bool = False

    def __post_init__(self) -> None:
        _require_positive("heartbeat_interval", self.heartbeat_interval, allow_zero=True)
        _require_positive("logon_timeout", self.logon_timeout)
        _require_positive("logout_timeout", self.logout_timeout)
        _require_positive("max_latency", self.max_latency)
        _require_positive("resend_request_chunk_size", self.resend_request_chunk_size, allow_zero=True)
        if self.timestamp_precision not in ("s", "ms", "us", "ns"):
            raise ValueError(
                f"timestamp_precision must be 's', 'ms', 'us' or 'ns', not {self.timestamp_precision!r}"
            )
        self.batch_msg_types = check_batch_msg_types(self.batch_msg_types)
        for name in ("begin_string", "sender_comp_id", "target_comp_id"):
            if not getattr(self, name):
                raise ValueError(f"{name} must not be empty")
        if self.enable_next_expected_msg_seq_num and self.version_key < FIRST_VERSION_WITH_NEXT_EXPECTED:
            raise ValueError(
                "enable_next_expected_msg_seq_num needs FIX.4.4 or FIXT.1.1 (NextExpectedMsgSeqNum(789) is not "
                f"in the Logon of {self.begin_string})"
            )

    @property
    def session_id(self) -> SessionID:
        """The identity of the session this configuration describes."""
        return SessionID(self.begin_string, self.sender_comp_id, self.target_comp_id, self.qualifier)

    @property
    def is_initiator(self) -> bool:
        """True for the side that connects and logs on first."""
        return self.role is Role.INITIATOR

    @property
    def version_key(self) -> tuple[int, int]:
        """BeginString as a comparable (major, minor): FIX.4.2 -> (4, 2); FIXT.1.1 -> (5, 0)."""
        return version_key(self.begin_string)


def version_key(begin_string: str) -> tuple[int, int]:
    """(major, minor) of a BeginString; FIXT.1.1 counts as after every FIX 4.x version."""
    if begin_string.startswith("FIXT"):
        return (5, 0)
    parts = begin_string.removeprefix("FIX.").split(".")
    try:
        return (int(parts[0]), int(parts[1]))
    except (IndexError, ValueError):
        raise ValueError(f"begin_string {begin_string!r} is not of the form FIX.x.y or FIXT.x.y") from None


def check_batch_msg_types(msg_types: Iterable[str]) -> frozenset[str]:
    """``msg_types`` as a frozenset; ValueError naming a value that is empty, not a str or an admin MsgType.

    Admin messages (35=0, 1, 2, 3, 4, 5, A) keep their session handling and per-message delivery.
    """
    checked = frozenset(msg_types)
    for msg_type in sorted(checked, key=str):
        if not isinstance(msg_type, str) or not msg_type:
            raise ValueError(f"batch_msg_types: MsgType(35) must be a non-empty str such as 'X', not {msg_type!r}")
        if msg_type in ADMIN_MSG_TYPES:
            raise ValueError(
                f"batch_msg_types: {msg_type!r} is an admin MsgType(35); only application types can be batched"
            )
    return checked


def _require_positive(name: str, value: float, allow_zero: bool = False) -> None:
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, not {value!r}")
