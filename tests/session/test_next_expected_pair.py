"""Two sessions with EnableNextExpectedMsgSeqNum recovering lost messages through the Logon exchange alone.

Sans-I/O: an initiator and an acceptor pass each other's frames by hand, each keeps what it sent in a dict
(its store) and answers a FetchResend from it, as the engine does. Messages "lost" were sent but never
delivered; after a reconnect, the Logons' NextExpectedMsgSeqNum(789) alone must bring both sides level.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pyfixmsg_plus.message.parser_py import parse_pairs
from pyfixmsg_plus.session import (
    Disconnect,
    FetchResend,
    MessageReceived,
    Output,
    Role,
    SendFrame,
    Session,
    SessionConfig,
    SessionState,
    StoreTiming,
)

T0 = 1_700_000_000.0


class Side:
    """One session and what the engine would keep for it: the frames it stored, wrote and delivered."""

    def __init__(self, role: Role, sender: str, target: str, persist: bool = True) -> None:
        config = SessionConfig("FIX.4.4", sender, target, role=role, enable_next_expected_msg_seq_num=True)
        self.session = Session(config)
        self.persist = persist  # PersistMessages: False keeps no frames (a resend is all gap fill)
        self.stored: dict[int, bytes] = {}
        self.outbox: list[bytes] = []
        self.wire: list[bytes] = []  # every frame written (lost ones too)
        self.delivered: list[tuple[str, bool]] = []  # application messages: (ClOrdID(11), PossDupFlag(43))
        self.disconnects: list[str] = []

    def act(self, outputs: list[Output], now: float) -> None:
        """Carry out a session's outputs as the engine would (a FetchResend served from ``stored``)."""
        for output in outputs:
            if isinstance(output, SendFrame):
                if output.store is not StoreTiming.NOT_STORED and self.persist:
                    self.stored[output.seqnum] = output.frame
                self.outbox.append(output.frame)
                self.wire.append(output.frame)
            elif isinstance(output, FetchResend):
                frames = {n: f for n, f in self.stored.items() if output.begin <= n <= output.end}
                self.act(self.session.fulfil_resend(output.begin, output.end, frames, now), now)
            elif isinstance(output, MessageReceived) and not output.is_admin:
                fields = dict(output.pairs)
                self.delivered.append((fields[11].decode(), output.poss_dup))
            elif isinstance(output, Disconnect):
                self.disconnects.append(output.reason)

    def send_orders(self, names: list[str], now: float) -> None:
        for name in names:
            self.act(self.session.send("D", [(11, name)], now), now)


class Pair:
    """Our initiator TW -> ISLD and our acceptor ISLD -> TW, connected by hand."""

    def __init__(self, initiator_persists: bool = True, acceptor_persists: bool = True) -> None:
        self.initiator = Side(Role.INITIATOR, "TW", "ISLD", initiator_persists)
        self.acceptor = Side(Role.ACCEPTOR, "ISLD", "TW", acceptor_persists)

    def connect(self, now: float) -> None:
        self.acceptor.act(self.acceptor.session.connection_made(now), now)
        self.initiator.session.start(now)
        self.initiator.act(self.initiator.session.connection_made(now), now)
        self.pump(now)

    def pump(self, now: float) -> None:
        """Deliver frames one at a time, both ways, until nothing is in flight."""
        for _ in range(10_000):
            if not (self.initiator.outbox or self.acceptor.outbox):
                return
            for source, sink in ((self.initiator, self.acceptor), (self.acceptor, self.initiator)):
                if source.outbox:
                    frame = source.outbox.pop(0)
                    sink.act(sink.session.receive_data(frame, now), now)
        raise AssertionError("the sessions kept talking")

    def lose_in_flight(self) -> None:
        self.initiator.outbox.clear()
        self.acceptor.outbox.clear()

    def drop_connection(self, now: float) -> None:
        for side in (self.initiator, self.acceptor):
            side.act(side.session.connection_lost(now), now)
            side.outbox.clear()


def msg_types(frames: list[bytes]) -> list[str]:
    return [dict(parse_pairs(f))[35].decode() for f in frames]


def test_acceptor_resends_what_the_initiator_missed_without_a_resend_request() -> None:
    pair = Pair()
    pair.connect(T0)
    pair.acceptor.send_orders(["a1", "a2"], T0)
    pair.pump(T0)
    pair.acceptor.send_orders(["a3", "a4", "a5"], T0)  # written, never delivered
    pair.lose_in_flight()
    pair.drop_connection(T0)
    wire_before = len(pair.initiator.wire), len(pair.acceptor.wire)
    pair.connect(T0 + 5)
    assert pair.initiator.delivered == [("a1", False), ("a2", False), ("a3", True), ("a4", True), ("a5", True)]
    new_frames = pair.initiator.wire[wire_before[0] :] + pair.acceptor.wire[wire_before[1] :]
    assert "2" not in msg_types(new_frames)
    assert pair.initiator.session.next_target_seqnum == pair.acceptor.session.next_sender_seqnum


@settings(max_examples=40, deadline=None)
@given(
    before=st.integers(0, 3),
    initiator_lost=st.lists(st.sampled_from(["order", "heartbeat"]), max_size=5),
    acceptor_lost=st.lists(st.sampled_from(["order", "heartbeat"]), max_size=5),
    initiator_persists=st.booleans(),
    acceptor_persists=st.booleans(),
)
def test_the_logon_exchange_alone_brings_both_sides_level(
    before: int,
    initiator_lost: list[str],
    acceptor_lost: list[str],
    initiator_persists: bool,
    acceptor_persists: bool,
) -> None:
    """Whatever each side lost (orders and admin messages), after the reconnect both are Active, each
    expects the other's next number, no ResendRequest(2) was sent, and every lost order arrives once as a
    PossDup resend (or, with PersistMessages=N, is gap-filled)."""
    pair = Pair(initiator_persists, acceptor_persists)
    pair.connect(T0)
    sides = {"initiator": pair.initiator, "acceptor": pair.acceptor}
    for name, side in sides.items():
        side.send_orders([f"{name}-early-{n}" for n in range(before)], T0)
    pair.pump(T0)
    lost_orders: dict[str, list[str]] = {}
    for (name, side), plan in zip(sides.items(), (initiator_lost, acceptor_lost), strict=True):
        lost_orders[name] = []
        for n, kind in enumerate(plan):
            if kind == "order":
                lost_orders[name].append(f"{name}-lost-{n}")
                side.send_orders(lost_orders[name][-1:], T0)
            else:  # a Heartbeat that never arrived: an admin message, gap-filled on resend
                side.act(side.session.tick(T0 + 31), T0 + 31)
    pair.lose_in_flight()
    pair.drop_connection(T0 + 40)
    written_before = {name: len(side.wire) for name, side in sides.items()}
    pair.connect(T0 + 45)

    for name, side in sides.items():
        assert side.session.state is SessionState.ACTIVE, side.disconnects
        assert "2" not in msg_types(side.wire[written_before[name] :])
    assert pair.initiator.session.next_target_seqnum == pair.acceptor.session.next_sender_seqnum
    assert pair.acceptor.session.next_target_seqnum == pair.initiator.session.next_sender_seqnum
    for name, receiver in (("initiator", pair.acceptor), ("acceptor", pair.initiator)):
        early = [(f"{name}-early-{n}", False) for n in range(before)]
        recovered = [(order, True) for order in lost_orders[name]] if sides[name].persist else []
        assert receiver.delivered == early + recovered
