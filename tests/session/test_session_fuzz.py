"""Fuzz of the sans-I/O session: no input from a counterparty may raise out of the session layer.

A Session (acceptor or initiator; FIX.4.4 with or without the data dictionary; FIXT.1.1 with DefaultApplVerID;
EnableNextExpectedMsgSeqNum; ResetOnLogon; PersistMessages Y/N) is brought into a state (before Logon, Active,
a gap open, LogoutInProgress), then fed frames built from valid admin and application messages whose values
are replaced, duplicated, dropped or reordered. Each input must give only well-formed frames (BodyLength(9),
CheckSum(10)), never raise, never move a sequence number back other than by a reset, and an application
message arriving in sequence afterwards must still be delivered while the session is Active.

The budget is small so that the suite stays fast; ``PYFIXMSG_PLUS_FUZZ_EXAMPLES=2000`` runs a deeper search.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyfixmsg_plus.message.dictionary import load_builtin
from pyfixmsg_plus.message.encoder import format_utc_timestamp
from pyfixmsg_plus.message.framing import split_frames
from pyfixmsg_plus.message.parser_py import parse_pairs
from pyfixmsg_plus.message.validation import Validator
from pyfixmsg_plus.session import FixtDictionaries, Role, Session, SessionConfig, SessionNotActive, SessionState
from pyfixmsg_plus.session.events import FetchResend, MessageReceived, Output, ResetStore, SendFrame, StoreTiming
from pyfixmsg_plus.session.sequencing import MAX_SEQ_NUM

T0 = 1_700_000_000.0
US, THEM = "ISLD", "TW"
FIX44, FIXT11 = "FIX.4.4", "FIXT.1.1"
#: examples per property; raise it for a deeper search (documented in docs/malformed-input.md)
EXAMPLES = int(os.environ.get("PYFIXMSG_PLUS_FUZZ_EXAMPLES", "40"))
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)

Field = tuple[int, bytes]

#: every admin and header tag a counterparty's value can reach the session's rules through
ADMIN_TAGS = (7, 16, 36, 43, 45, 52, 97, 98, 108, 112, 122, 123, 141, 371, 372, 373, 789, 1128, 1137,
              49, 56, 50, 57, 115, 128, 142, 143, 34, 35, 58, 553, 554, 383, 1409)  # fmt: skip

NASTY_VALUES: tuple[bytes, ...] = (
    b"",
    b"0",
    b"-1",
    b"+5",
    b"-0",
    b" 7",
    b"1e3",
    b"0x10",
    b"9" * 18,  # the largest FIX int the session reads
    b"1" + b"0" * 17,
    b"9" * 19,
    b"9" * 5000,
    b"0" * 5000 + b"3",
    b"\x80\xff\xfe",
    "é".encode(),
    b"a=b",
    b"=",
    b"Y",
    b"N",
    b"YY",
    b"x" * 70_000,
    b"20231114-22:13:20.000",
    b"20231114-22:13:20." + b"9" * 20,
    b"99999999-99:99:99",
    b"A",
    b"4",
    b"5",
    b"FIX.4.2",
    b"FIXT.1.1",
    b"9",
    b"7",
    b"ISLD",
    b"TW",
    b"1.5",
    b"3",
)


def ts(now: float) -> bytes:
    return format_utc_timestamp(int(now * 1e9), "ms")


def frame_of(begin: bytes, fields: Sequence[Field]) -> bytes:
    """A frame with BodyLength(9) and CheckSum(10) right for whatever ``fields`` hold (any order, any bytes)."""
    body = b"".join(b"%d=%s\x01" % (tag, value) for tag, value in fields)
    head = b"8=" + begin + b"\x019=%d\x01" % len(body) + body
    return head + b"10=%03d\x01" % (sum(head) % 256)


# ---------------------------------------------------------------------- the session under test
@functools.cache
def fix44_validator() -> Validator:
    return Validator(load_builtin(FIX44))


def fixt_dictionaries() -> FixtDictionaries:
    return FixtDictionaries(
        Validator(load_builtin(FIXT11)), {"9": lambda: Validator(load_builtin("FIX.5.0SP2"))}, default_appl_ver_id="9"
    )


@dataclass(frozen=True)
class Setup:
    """One configuration of the session fuzzed."""

    begin: str = FIX44
    role: Role = Role.ACCEPTOR
    dictionary: bool = False
    next_expected: bool = False
    reset_on_logon: bool = False
    persist: bool = True
    batch: bool = False  # ExecutionReports (35=8) delivered as BatchReceived

    def session(self) -> Session:
        extra = ((1137, "9"),) if self.begin == FIXT11 else ()
        config = SessionConfig(
            self.begin, US, THEM, role=self.role, reset_on_logon=self.reset_on_logon,
            enable_next_expected_msg_seq_num=self.next_expected, logon_extra_fields=extra,
            batch_msg_types=frozenset({"8"} if self.batch else ()),
        )  # fmt: skip
        validator: Any = None
        if self.dictionary:
            validator = fixt_dictionaries() if self.begin == FIXT11 else fix44_validator()
        return Session(config, validator)


SETUPS = st.builds(
    Setup,
    begin=st.sampled_from([FIX44, FIXT11]),
    role=st.sampled_from(list(Role)),
    dictionary=st.booleans(),
    next_expected=st.booleans(),
    reset_on_logon=st.booleans(),
    persist=st.booleans(),
    batch=st.booleans(),
)


class BadOutput(AssertionError):
    """The session wrote a frame that is not well-formed, or moved a number back without a reset."""


@dataclass
class Harness:
    """A session and what the engine keeps for it: its stored frames (PersistMessages), what it delivered."""

    setup: Setup
    session: Session = field(init=False)
    stored: dict[int, bytes] = field(default_factory=dict)
    delivered: list[MessageReceived] = field(default_factory=list)
    peer_seq: int = 1  # the counterparty's next MsgSeqNum
    now: float = T0

    def __post_init__(self) -> None:
        self.session = self.setup.session()

    @property
    def begin(self) -> bytes:
        return self.setup.begin.encode()

    def header(self, msg_type: bytes, seqnum: int | bytes) -> list[Field]:
        seq = seqnum if isinstance(seqnum, bytes) else b"%d" % seqnum
        return [(35, msg_type), (34, seq), (49, THEM.encode()), (52, ts(self.now)), (56, US.encode())]

    def message(self, msg_type: bytes, body: Sequence[Field], seqnum: int | None = None) -> list[Field]:
        """The fields (after 8 and 9) of a valid message numbered ``seqnum`` (default: the next)."""
        if seqnum is None:
            seqnum, self.peer_seq = self.peer_seq, self.peer_seq + 1
        return self.header(msg_type, seqnum) + list(body)

    def logon_body(self, reset: bool = False) -> list[Field]:
        body = [(98, b"0"), (108, b"30")]
        if reset:
            body.append((141, b"Y"))
        if self.setup.begin == FIXT11:
            body.append((1137, b"9"))
        if self.setup.next_expected:
            body.append((789, b"%d" % self.session.next_sender_seqnum))
        return body

    def order_body(self) -> list[Field]:
        return [(11, b"C1"), (21, b"1"), (55, b"EUR/USD"), (54, b"1"), (60, ts(self.now)), (38, b"100"),
                (40, b"1")]  # fmt: skip

    # ---------------------------------------------------------------- acting as the engine
    def act(self, outputs: list[Output]) -> list[Output]:
        """Check ``outputs`` and carry out FetchResend from the store, as the engine does (in order)."""
        done = list(outputs)
        for output in outputs:
            if isinstance(output, SendFrame):
                check_frame(output.frame)
                if output.store is not StoreTiming.NOT_STORED and self.setup.persist:
                    self.stored[output.seqnum] = output.frame
            elif isinstance(output, FetchResend):
                frames = {n: f for n, f in self.stored.items() if output.begin <= n <= output.end}
                replay = self.session.fulfil_resend(output.begin, output.end, frames, self.now)
                check_replay(replay, self.session.next_sender_seqnum)
                done += self.act(replay)
            elif isinstance(output, MessageReceived):
                self.delivered.append(output)
            elif isinstance(output, ResetStore):
                self.stored.clear()
        return done

    def numbers(self) -> tuple[int, int]:
        return self.session.next_sender_seqnum, self.session.next_target_seqnum

    def run(self, call: Callable[[], list[Output]]) -> list[Output]:
        """One input and the engine's work on its outputs; the numbers move back only with a reset."""
        before = self.numbers()
        done = self.act(call())
        after = self.numbers()
        if (after[0] < before[0] or after[1] < before[1]) and not any(isinstance(o, ResetStore) for o in done):
            raise BadOutput(f"numbers went back from {before} to {after} without a reset: {done}")
        if after[1] > MAX_SEQ_NUM:  # the store could not save it
            raise BadOutput(f"next expected MsgSeqNum {after[1]} is beyond what a store keeps")
        return done

    def feed(self, data: bytes) -> list[Output]:
        return self.run(lambda: self.session.receive_data(data, self.now))

    def feed_fields(self, msg_type: bytes, body: Sequence[Field], seqnum: int | None = None) -> list[Output]:
        return self.feed(frame_of(self.begin, self.message(msg_type, body, seqnum)))

    def tick(self, seconds: float) -> list[Output]:
        self.now += seconds
        return self.run(lambda: self.session.tick(self.now))

    def send(self, msg_type: str, fields: Sequence[tuple[int, Any]]) -> list[Output]:
        try:
            return self.run(lambda: self.session.send(msg_type, fields, self.now))
        except SessionNotActive:
            assert self.session.state is not SessionState.ACTIVE
            return []

    # ---------------------------------------------------------------- bringing the session into a state
    def connect(self) -> None:
        if self.setup.role is Role.INITIATOR:
            self.session.start(self.now)
        self.run(lambda: self.session.connection_made(self.now))

    def log_on(self) -> None:
        self.connect()
        self.feed_fields(b"A", self.logon_body())
        assert self.session.state is SessionState.ACTIVE, self.session.state

    def open_gap(self) -> None:
        self.log_on()
        self.peer_seq += 3  # three messages lost: the next one opens a gap
        self.feed_fields(b"0", [])

    def start_logout(self) -> None:
        self.log_on()
        self.run(lambda: self.session.logout(self.now, "bye"))


def check_frame(frame: bytes) -> None:
    """One whole valid frame: BodyLength(9) and CheckSum(10) right (the framer verifies both)."""
    index = split_frames(frame, final=True)
    if not (index.count == 1 and bool(index.valid[0]) and int(index.lengths[0]) == len(frame)):
        raise BadOutput(f"the session wrote a malformed frame: {frame[:300]!r}")


def check_replay(outputs: list[Output], next_sender: int) -> None:
    """A replay names only numbers already sent: MsgSeqNum(34) and a gap fill's NewSeqNo(36) up to the next."""
    for output in outputs:
        if isinstance(output, SendFrame):
            new_seqno = dict(parse_pairs(output.frame)).get(36, b"0")
            if not 1 <= output.seqnum < next_sender or int(new_seqno) > next_sender:
                raise BadOutput(f"replay beyond the next MsgSeqNum {next_sender}: {output.frame!r}")


STATES: dict[str, Callable[[Harness], None]] = {
    "before logon": Harness.connect,
    "active": Harness.log_on,
    "gap open": Harness.open_gap,
    "logout in progress": Harness.start_logout,
}


# ---------------------------------------------------------------------- messages and their mutations
def base_messages(h: Harness) -> list[tuple[bytes, list[Field]]]:
    """Valid admin and application messages (MsgType, body) of the counterparty."""
    n = h.session.next_sender_seqnum
    return [
        (b"A", h.logon_body()),
        (b"A", h.logon_body(reset=True)),
        (b"0", [(112, b"TEST")]),
        (b"1", [(112, b"abc")]),
        (b"2", [(7, b"1"), (16, b"0")]),
        (b"2", [(7, b"%d" % max(1, n - 1)), (16, b"%d" % max(1, n - 1))]),
        (b"3", [(45, b"1"), (371, b"55"), (372, b"D"), (373, b"1"), (58, b"bad")]),
        (b"4", [(123, b"Y"), (36, b"%d" % (h.peer_seq + 2))]),
        (b"4", [(36, b"%d" % (h.peer_seq + 5))]),
        (b"5", [(58, b"bye")]),
        (b"D", h.order_body()),
        (b"D", [(43, b"Y"), (122, ts(h.now - 1)), *h.order_body()]),
        (b"j", [(45, b"1"), (372, b"D"), (380, b"3")]),
        (b"8", [(37, b"O1"), (17, b"E1"), (150, b"0"), (39, b"0"), (55, b"X"), (54, b"1"), (151, b"0"), (14, b"0"),
                (6, b"0")]),
        (b"AE", [(571, b"R1")]),  # a MsgType of another version
        (b"BE", [(923, b"U1"), (924, b"1")]),  # UserRequest
    ]


@st.composite
def mutated_message(draw: st.DrawFn, h: Harness) -> tuple[bytes, list[Field]]:
    """A valid message's whole field list (header included), then mutated: values replaced, fields duplicated,
    dropped, moved or added."""
    msg_type, body = draw(st.sampled_from(base_messages(h)))
    in_sequence = draw(st.sampled_from([None, None, None, 1, h.peer_seq + 4, max(1, h.peer_seq - 1)]))
    fields = h.message(msg_type, body, in_sequence)
    values = st.one_of(st.sampled_from(NASTY_VALUES), st.binary(max_size=12))
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["replace", "duplicate", "drop", "move", "add"]))
        at = draw(st.integers(0, max(0, len(fields) - 1)))
        if not fields:
            op = "add"
        if op == "replace":
            fields[at] = (fields[at][0], draw(values))
        elif op == "duplicate":
            fields.insert(draw(st.integers(0, len(fields))), (fields[at][0], draw(values)))
        elif op == "drop":
            del fields[at]
        elif op == "move":
            fields.insert(draw(st.integers(0, len(fields) - 1)), fields.pop(at))
        else:
            fields.insert(draw(st.integers(0, len(fields))), (draw(st.sampled_from(ADMIN_TAGS)), draw(values)))
    begin = draw(st.sampled_from([h.begin, h.begin, h.begin, b"FIX.4.2", b"FIXT.1.1", b"FIX.4.4"]))
    return begin, fields


def deliver_in_sequence(h: Harness) -> None:
    """A valid order numbered as the session expects is delivered while the session stays Active."""
    if h.session.state is not SessionState.ACTIVE:
        return
    expected = h.session.next_target_seqnum
    h.delivered.clear()
    h.feed_fields(b"D", h.order_body(), seqnum=expected)
    if h.session.state is SessionState.ACTIVE:
        seqnums = [m.seqnum for m in h.delivered if m.msg_type == "D"]
        assert expected in seqnums, (expected, h.delivered)


# ---------------------------------------------------------------------- the properties
@FUZZ_SETTINGS
@given(setup=SETUPS, state=st.sampled_from(sorted(STATES)), data=st.data())
def test_mutated_messages_never_raise_out_of_the_session(setup: Setup, state: str, data: st.DataObject) -> None:
    h = Harness(setup)
    STATES[state](h)
    for _ in range(data.draw(st.integers(1, 4), label="messages")):
        begin, fields = data.draw(mutated_message(h), label="message")
        h.feed(frame_of(begin, fields))
        if data.draw(st.booleans(), label="tick"):
            h.tick(data.draw(st.sampled_from([0.5, 31.0, 46.0, 80.0]), label="seconds"))
    deliver_in_sequence(h)


@FUZZ_SETTINGS
@given(setup=SETUPS, state=st.sampled_from(sorted(STATES)), data=st.data())
def test_mutated_bytes_and_splits_never_raise(setup: Setup, state: str, data: st.DataObject) -> None:
    """Whole streams of valid frames, cut at random points and with bytes flipped, in one or several reads."""
    h = Harness(setup)
    STATES[state](h)
    stream = b"".join(frame_of(h.begin, h.message(t, b)) for t, b in data.draw(
        st.lists(st.sampled_from(base_messages(h)), min_size=1, max_size=4), label="messages"))
    raw = bytearray(stream)
    for _ in range(data.draw(st.integers(0, 3), label="flips")):
        at = data.draw(st.integers(0, len(raw) - 1), label="at")
        raw[at] = data.draw(st.integers(0, 255), label="byte")
    cuts = sorted(data.draw(st.lists(st.integers(0, len(raw)), max_size=3), label="cuts"))
    for start, end in zip([0, *cuts], [*cuts, len(raw)], strict=True):
        h.feed(bytes(raw[start:end]))
    deliver_in_sequence(h)


APP_VALUES = st.one_of(st.sampled_from(NASTY_VALUES[:18]), st.text(max_size=8), st.integers(-10, 10**30))


@FUZZ_SETTINGS
@given(setup=SETUPS, state=st.sampled_from(sorted(STATES)),
       fields=st.lists(st.tuples(st.sampled_from([11, 55, 58, 43, 97, 115, 122, 1128, 9999]), APP_VALUES),
                       max_size=4))  # fmt: skip
def test_send_raises_only_session_not_active_or_value_error(
    setup: Setup, state: str, fields: list[tuple[int, Any]]
) -> None:
    """``send`` of any field values: a well-formed frame, SessionNotActive when not Active, or ValueError naming
    what the application passed wrong (its own fault, never the counterparty's)."""
    h = Harness(setup)
    STATES[state](h)
    try:
        h.send("D", fields)
    except ValueError as error:
        assert str(error)


OPERATIONS = ("message", "message", "message", "tick", "send", "logout", "reconnect", "reset")


def operate(h: Harness, op: str, data: st.DataObject) -> None:
    """One step of a random script: a mutated message, the clock, our own send, logout, reconnect or reset."""
    if op == "message":
        begin, fields = data.draw(mutated_message(h), label="message")
        h.feed(frame_of(begin, fields))
    elif op == "tick":
        h.tick(data.draw(st.sampled_from([0.5, 31.0, 46.0, 80.0]), label="seconds"))
    elif op == "send":
        h.send("D", [(11, "ours")])
    elif op == "logout":
        h.run(lambda: h.session.logout(h.now, "fuzz"))
    elif op == "reconnect":  # the transport dropped; the counterparty logs on again where it left off
        h.run(lambda: h.session.connection_lost(h.now))
        h.connect()
        h.feed_fields(b"A", h.logon_body(reset=data.draw(st.booleans(), label="reset")))
    else:
        try:
            h.run(lambda: h.session.reset_sequence(h.now))
        except SessionNotActive:
            assert h.session.state is not SessionState.ACTIVE


@FUZZ_SETTINGS
@given(setup=SETUPS, state=st.sampled_from(sorted(STATES)), data=st.data())
def test_random_scripts_of_inputs_never_raise(setup: Setup, state: str, data: st.DataObject) -> None:
    """Mutated messages mixed with ticks, our sends, Logout, reconnects and resets, in any order."""
    h = Harness(setup)
    STATES[state](h)
    for op in data.draw(st.lists(st.sampled_from(OPERATIONS), min_size=1, max_size=8), label="script"):
        operate(h, op, data)
    deliver_in_sequence(h)
