"""Plays QuickFIX-style session acceptance scripts (``*.def``) against the sans-I/O acceptor session.

No sockets: each script connection is a :class:`ScriptConnection` feeding bytes to a
:class:`~pyfixmsg_plus.session.Session`; time is a fake clock that jumps to the next timer the session armed
whenever the script waits for something. Usage::

    python -m pyfixmsg_plus.testing.conformance DIR [--dictionary FIX44.xml] [-v]

prints one line per failing script (with its first mismatch) and ``N passed, M failed``.

Script language (one action a line; ``#`` comments): ``iCONNECT`` / ``iDISCONNECT`` open/close a connection;
``eDISCONNECT`` expects the acceptor to close it; ``I<msg>`` sends a message (``<TIME>``, ``<TIME+N>``,
``<TIME-N>``
are replaced by the clock's UTC time; 9 and 10 are added when absent); ``E<msg>`` expects the acceptor's
next message,
compared field by field in order (values of fields with a pattern, such as 52 and 10, by pattern). A line may
start with a connection number: ``I2,8=FIX...`` / ``i2,CONNECT``.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyfixmsg_plus import _impl
from pyfixmsg_plus.session import (
    ArmTimer,
    Disconnect,
    FetchResend,
    LoggedOn,
    MessageReceived,
    Output,
    PairsValidator,
    ResetStore,
    SendFrame,
    Session,
    SessionConfig,
    SessionRegistry,
    StoreTiming,
)

SOH = "\x01"
#: counterparties (TargetCompIDs) the acceptor serves in QuickFIX's acceptance suite
DEFAULT_COUNTERPARTIES = ("TW44", "TW", "NO_CHECK_FIELDS_HAVE_VALUES")
#: patterns for values that vary (QuickFIX's fields.fmt); matched at the start of the received value
DEFAULT_PATTERNS = {
    10: r"\d{3}",
    42: r"\d{8}-\d{2}:\d{2}:\d{2}",
    52: r"\d{8}-\d{2}:\d{2}:\d{2}|\d{8}-\d{2}:\d{2}:\d{2}[.]\d{3}",
    60: r"\d{8}-\d{2}:\d{2}:\d{2}",
    122: r"\d{8}-\d{2}:\d{2}:\d{2}",
}
START_TIME = dt.datetime(2024, 6, 3, 12, 0, 0, tzinfo=dt.UTC).timestamp()
WAIT_LIMIT = 65.0  # simulated seconds an expectation may wait for the acceptor (timers fire meanwhile)
_LINE = re.compile(r"^([iIeE])(?:(\d+),)?(.*)$", re.DOTALL)
_TIME = re.compile(r"<TIME([+-]\d+)?>")
_SESSION_HEADER = frozenset({8, 9, 10, 34, 35, 43, 49, 52, 56, 122})


# ---------------------------------------------------------------------- script parsing
@dataclass(frozen=True, slots=True)
class Step:
    """One script action: ``kind`` is ``connect``, ``disconnect``, ``send``, ``expect``, ``expect_connect`` or
    ``expect_disconnect``; ``text`` is the message (SOH separated) for send/expect."""

    line: int
    kind: str
    connection: int
    text: str = ""


def parse_script(text: str) -> list[Step]:
    """The actions of a .def script, in order (comments and blank lines skipped)."""
    steps: list[Step] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line.strip(" \t"))
        if match is None:
            raise ValueError(f"line {number}: cannot read script action {line[:40]!r}")
        action, conn, rest = match.group(1), int(match.group(2) or 1), match.group(3)
        if action in "ie" and rest.strip() in ("CONNECT", "DISCONNECT"):
            kind = ("" if action == "i" else "expect_") + rest.strip().lower()
            steps.append(Step(number, kind, conn))
        elif action in "IE":
            steps.append(Step(number, "send" if action == "I" else "expect", conn, rest))
        else:
            raise ValueError(f"line {number}: unknown action {line[:40]!r}")
    return steps


def load_patterns(script_dir: Path) -> dict[int, re.Pattern[str]]:
    """Value patterns from ``fields.fmt`` next to (or above) the scripts, else the defaults."""
    patterns = dict(DEFAULT_PATTERNS)
    for candidate in (script_dir / "fields.fmt", script_dir.parent / "fields.fmt"):
        if candidate.is_file():
            patterns = {}
            for line in candidate.read_text().splitlines():
                tag, sep, pattern = line.partition("=")
                if sep and tag.strip().isdigit():
                    patterns[int(tag)] = pattern
            break
    return {tag: re.compile(p) for tag, p in patterns.items()}


# ---------------------------------------------------------------------- message preparation and comparison
def format_time(now: float, offset: int = 0) -> str:
    """``now`` + ``offset`` seconds as the scripts' ``YYYYMMDD-HH:MM:SS``."""
    return dt.datetime.fromtimestamp(now + offset, dt.UTC).strftime("%Y%m%d-%H:%M:%S")


def substitute_time(text: str, now: float) -> str:
    """Replace ``<TIME>``, ``<TIME+N>``, ``<TIME-N>``."""
    return _TIME.sub(lambda m: format_time(now, int(m.group(1) or 0)), text)


def complete_message(text: str) -> bytes:
    """The script message with BodyLength (9) inserted after BeginString and CheckSum (10) appended when
    absent.
    """
    fields = [f for f in text.split(SOH) if f]
    tags = [f.partition("=")[0] for f in fields]
    if "9" not in tags and fields:
        body_fields = [f for f, t in zip(fields[1:], tags[1:], strict=True) if t != "10"]
        body = "".join(f + SOH for f in body_fields).encode("latin-1")
        fields.insert(1, f"9={len(body)}")
        tags.insert(1, "9")
    data = "".join(f + SOH for f in fields).encode("latin-1")
    if "10" not in tags:
        checksum = _impl.load("framing").checksum(data)
        data += b"10=%03d\x01" % checksum
    return data


def split_fields(frame: bytes) -> list[tuple[str, str]]:
    """(tag, value) text pairs of a frame, as written."""
    out = []
    for piece in frame.decode("latin-1").split(SOH):
        if piece:
            tag, _, value = piece.partition("=")
            out.append((tag, value))
    return out


def compare(expected: bytes, actual: bytes, patterns: dict[int, re.Pattern[str]]) -> str | None:
    """None when ``actual`` matches ``expected`` field by field, else the first difference."""
    want, got = split_fields(expected), split_fields(actual)
    for position, (w, g) in enumerate(zip(want, got, strict=False)):
        if w[0] != g[0]:
            return f"field {position + 1}: expected tag {w[0]}, got {g[0]}={g[1]!r}"
        pattern = patterns.get(int(w[0])) if w[0].isdigit() else None
        if pattern is not None:
            if not pattern.match(g[1]):
                return f"field {w[0]}: {g[1]!r} does not match pattern {pattern.pattern!r}"
        elif w[1] != g[1]:
            return f"field {w[0]}: expected {w[1]!r}, got {g[1]!r}"
    if len(want) != len(got):
        return f"expected {len(want)} fields, got {len(got)}"
    return None


def readable(frame: bytes) -> str:
    """A frame with SOH shown as ``|``."""
    return frame.decode("latin-1").replace(SOH, "|")


# ---------------------------------------------------------------------- the application the scripts expect
class EchoApplication:
    """QuickFIX's acceptance-test application: NewOrderSingle (D) and SecurityDefinition (d) are echoed back
    as new
    messages of the same type and body; a D with PossResend(97)=Y and a ClOrdID(11) seen since logon
    is not."""

    SUPPORTED = frozenset({"D", "d"})

    def __init__(self, validator: PairsValidator | None) -> None:
        self._validator = validator
        self._seen: set[bytes] = set()

    def on_logon(self) -> None:
        """A new logon: forget the orders seen."""
        self._seen.clear()

    def reply(self, message: MessageReceived) -> list[tuple[int, bytes]] | None:
        """The fields to echo for ``message``, or None to stay silent."""
        if message.msg_type == "D":
            clordid = message.get(11, b"") or b""
            if message.get(97) == b"Y" and clordid in self._seen:
                return None
            self._seen.add(clordid)
        elif message.msg_type != "d":
            return None
        fields = [(t, v) for t, v in message.pairs if t not in _SESSION_HEADER]
        return self._sorted_body(message.msg_type, fields)

    def _sorted_body(self, msg_type: str, fields: list[tuple[int, bytes]]) -> list[tuple[int, bytes]]:
        """Fields in ascending tag order, a repeating group moving as a block after its count tag."""
        groups = self._groups(msg_type)
        blocks: list[list[tuple[int, bytes]]] = []
        i = 0
        while i < len(fields):
            block = [fields[i]]
            members = groups.get(fields[i][0])
            i += 1
            while members and i < len(fields) and fields[i][0] in members:
                block.append(fields[i])
                i += 1
            blocks.append(block)
        blocks.sort(key=lambda b: b[0][0])
        return [f for b in blocks for f in b]

    def _groups(self, msg_type: str) -> dict[int, frozenset[int]]:
        spec = getattr(self._validator, "spec", None)
        message_type = getattr(spec, "msg_types", {}).get(msg_type) if spec is not None else None
        if message_type is None:
            return {}
        return {count: _all_member_tags(group) for count, group in message_type.groups.items()}


def _all_member_tags(group: object) -> frozenset[int]:
    tags = set(getattr(group, "member_tags", frozenset()))
    for count, nested in getattr(group, "groups", {}).items():
        tags.add(count)
        tags |= _all_member_tags(nested)
    return frozenset(tags)


# ---------------------------------------------------------------------- connections and the acceptor
@dataclass
class ScriptConnection:
    """One script connection: what the acceptor wrote to it, and whether it closed."""

    number: int
    session: Session | None = None
    framer: Any = None
    outbox: collections.deque[bytes] = field(default_factory=collections.deque)
    closed: bool = False
    deadline: float | None = None


class Acceptor:
    """The acceptor the scripts expect: a session per counterparty, in-memory stores, the echo application."""

    def __init__(
        self,
        begin_string: str,
        validator_factory: object | None = None,
        counterparties: Sequence[str] = DEFAULT_COUNTERPARTIES,
        sender_comp_id: str = "ISLD",
        now: float = START_TIME,
    ) -> None:
        self.now = now
        self.registry = SessionRegistry()
        self.stores: dict[int, dict[int, bytes]] = {}
        self.apps: dict[int, EchoApplication] = {}
        self.logon_timeout = 10.0
        for target in counterparties:
            validator = validator_factory(target) if callable(validator_factory) else None
            config = SessionConfig(
                begin_string,
                sender_comp_id,
                target,
                reset_on_logon=True,
                supported_app_msg_types=EchoApplication.SUPPORTED,
                timestamp_precision="ms" if _version(begin_string) >= (4, 2) else "s",
            )
            session = Session(config, validator)
            self.registry.add(session)
            self.stores[id(session)] = {}
            self.apps[id(session)] = EchoApplication(validator)

    # -------------------------------------------------------------- connection actions
    def connect(self, number: int) -> ScriptConnection:
        """A new client connection, not yet tied to a session (that happens on its first valid frame)."""
        conn = ScriptConnection(number, framer=_impl.load("framing").Framer())
        conn.deadline = self.now + self.logon_timeout
        return conn

    def client_disconnect(self, conn: ScriptConnection) -> None:
        """The script closed ``conn``."""
        if conn.session is not None and not conn.closed:
            self.execute(conn, conn.session.connection_lost(self.now))
        conn.closed = True

    def receive(self, conn: ScriptConnection, data: bytes) -> None:
        """Bytes the script sent on ``conn``."""
        if conn.closed:
            return
        if conn.session is not None:
            self.execute(conn, conn.session.receive_data(data, self.now))
            return
        index = conn.framer.feed(data)
        for i in range(len(index)):
            if not index.valid[i]:
                continue
            route = self.registry.route(index.frame(i))
            if route.session is None:
                conn.closed = True
                return
            conn.session = route.session
            self.execute(conn, route.session.connection_made(self.now))
            rest = bytes(index.buffer[int(index.offsets[i]) :])
            self.execute(conn, route.session.receive_data(rest, self.now))
            return

    def advance(self, conns: Iterable[ScriptConnection], limit: float) -> bool:
        """Jump to the earliest timer of ``conns`` (not past ``limit``) and fire it; False if none."""
        live = [c for c in conns if not c.closed and c.deadline is not None]
        if not live:
            return False
        conn = min(live, key=lambda c: c.deadline or 0.0)
        deadline = conn.deadline or 0.0
        if deadline > limit:
            return False
        self.now = max(self.now, deadline)
        conn.deadline = None
        if conn.session is None:  # no Logon within LogonTimeout
            conn.closed = True
        else:
            self.execute(conn, conn.session.tick(self.now))
        return True

    # -------------------------------------------------------------- effects
    def execute(self, conn: ScriptConnection, outputs: list[Output]) -> None:
        """Carry out a session's outputs as an engine would."""
        session = conn.session
        if session is None:
            return
        store, app = self.stores[id(session)], self.apps[id(session)]
        for output in outputs:
            if isinstance(output, SendFrame):
                conn.outbox.append(output.frame)
                if output.store is not StoreTiming.NOT_STORED:
                    store[output.seqnum] = output.frame
            elif isinstance(output, FetchResend):
                frames = {s: store[s] for s in range(output.begin, output.end + 1) if s in store}
                self.execute(conn, session.fulfil_resend(output.begin, output.end, frames, self.now))
            elif isinstance(output, ArmTimer):
                conn.deadline = output.deadline
            elif isinstance(output, Disconnect):
                conn.closed = True
            elif isinstance(output, ResetStore):
                store.clear()
            elif isinstance(output, LoggedOn):
                app.on_logon()
            elif isinstance(output, MessageReceived) and not output.is_admin:
                reply = app.reply(output)
                if reply is not None and session.is_logged_on:
                    self.execute(conn, session.send(output.msg_type, reply, self.now))


def _version(begin_string: str) -> tuple[int, int]:
    from pyfixmsg_plus.session.config import version_key

    return version_key(begin_string)


# ---------------------------------------------------------------------- running scripts
@dataclass(frozen=True, slots=True)
class ScriptResult:
    """The outcome of one script: ``failure`` names the first mismatch (line number and detail)."""

    name: str
    passed: bool
    failure: str = ""


class ScriptRunner:
    """Plays one script against a fresh :class:`Acceptor`."""

    def __init__(self, acceptor: Acceptor, patterns: dict[int, re.Pattern[str]]) -> None:
        self.acceptor = acceptor
        self.patterns = patterns
        self.connections: dict[int, ScriptConnection] = {}

    def run(self, steps: list[Step]) -> str | None:
        """None when every step holds, else the first failure."""
        for step in steps:
            problem = self._step(step)
            if problem is not None:
                return f"line {step.line}: {problem}"
        for conn in self.connections.values():
            self.acceptor.client_disconnect(conn)
        return None

    def _conn(self, number: int) -> ScriptConnection | None:
        return self.connections.get(number)

    def _step(self, step: Step) -> str | None:
        conn = self._conn(step.connection)
        if step.kind == "connect":
            self.connections[step.connection] = self.acceptor.connect(step.connection)
            return None
        if step.kind == "expect_connect":
            return None
        if conn is None:
            return f"connection {step.connection} was never opened"
        if step.kind == "disconnect":
            self.acceptor.client_disconnect(conn)
            return None
        if step.kind == "send":
            self.acceptor.receive(conn, complete_message(substitute_time(step.text, self.acceptor.now)))
            return None
        if step.kind == "expect":
            return self._expect(conn, step.text)
        return self._expect_disconnect(conn)

    def _expect(self, conn: ScriptConnection, text: str) -> str | None:
        limit = self.acceptor.now + WAIT_LIMIT
        while not conn.outbox and not conn.closed:
            if not self.acceptor.advance(self.connections.values(), limit):
                break
        expected = complete_message(substitute_time(text, self.acceptor.now))
        if not conn.outbox:
            state = "closed the connection" if conn.closed else f"sent nothing within {WAIT_LIMIT:g} s"
            return f"expected {readable(expected)} but the acceptor {state}"
        actual = conn.outbox.popleft()
        difference = compare(expected, actual, self.patterns)
        if difference is None:
            return None
        return f"{difference}\n    expected {readable(expected)}\n    received {readable(actual)}"

    def _expect_disconnect(self, conn: ScriptConnection) -> str | None:
        limit = self.acceptor.now + WAIT_LIMIT
        while not conn.closed:
            if not self.acceptor.advance(self.connections.values(), limit):
                return f"expected the acceptor to disconnect within {WAIT_LIMIT:g} s"
        conn.outbox.clear()  # whatever the acceptor wrote before closing (e.g. a Logout) is not compared
        return None


def guess_begin_string(scripts: Iterable[Path]) -> str:
    """The BeginString most scripts send (a few scripts send a wrong one on purpose)."""
    counts: collections.Counter[str] = collections.Counter()
    for path in scripts:
        for match in re.finditer(r"8=(FIXT?\.\d\.\d)\x01", path.read_text(encoding="latin-1")):
            counts[match.group(1)] += 1
    if not counts:
        raise ValueError("no BeginString (8=FIX.x.y) found in the scripts")
    return counts.most_common(1)[0][0]


def validator_factory(begin_string: str, dictionary: Path | None = None) -> object | None:
    """A function building the acceptor's Validator per counterparty (QuickFIX's settings), or None when no
    dictionary is available for ``begin_string``."""
    from pyfixmsg_plus.message.reference import FixSpec
    from pyfixmsg_plus.message.validation import Validator

    if dictionary is not None:
        spec = FixSpec(str(dictionary))
    else:
        try:
            spec = FixSpec.from_builtin(begin_string)
        except (KeyError, ValueError, FileNotFoundError):
            return None

    def build(counterparty: str) -> Validator:
        return Validator(
            spec,
            allow_user_defined=False,
            check_fields_have_values=counterparty != "NO_CHECK_FIELDS_HAVE_VALUES",
        )

    return build


def run_script(
    path: Path, begin_string: str, factory: object | None, patterns: dict[int, re.Pattern[str]]
) -> ScriptResult:
    """Play one script file against a fresh acceptor."""
    try:
        steps = parse_script(path.read_text(encoding="latin-1"))
    except ValueError as error:
        return ScriptResult(path.name, False, str(error))
    acceptor = Acceptor(begin_string, factory)
    failure = ScriptRunner(acceptor, patterns).run(steps)
    return ScriptResult(path.name, failure is None, failure or "")


def run_directory(directory: Path, dictionary: Path | None = None) -> list[ScriptResult]:
    """Play every ``*.def`` script of ``directory`` (sorted by name)."""
    scripts = sorted(directory.glob("*.def"))
    if not scripts:
        raise FileNotFoundError(f"no *.def scripts in {directory}")
    begin_string = guess_begin_string(scripts)
    factory = validator_factory(begin_string, dictionary)
    patterns = load_patterns(directory)
    return [run_script(path, begin_string, factory, patterns) for path in scripts]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: play a directory of scripts, print ``N passed, M failed``; exit status 1 on failures."""
    parser = argparse.ArgumentParser(prog="python -m pyfixmsg_plus.testing.conformance", description=__doc__)
    parser.add_argument("directory", type=Path, help="directory holding the *.def scripts")
    parser.add_argument(
        "--dictionary", type=Path, help="QuickFIX XML data dictionary (default: the built-in one)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="also list the scripts that pass")
    args = parser.parse_args(argv)
    results = run_directory(args.directory, args.dictionary)
    for result in results:
        if not result.passed:
            print(f"FAIL {result.name}: {result.failure}")
        elif args.verbose:
            print(f"ok   {result.name}")
    passed = sum(r.passed for r in results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
