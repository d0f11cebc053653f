"""Answering a ResendRequest: replays and gap fills cover the range exactly once, in order."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyfixmsg_plus.message.encoder import encode_message
from pyfixmsg_plus.session.resend import GapFill, Replay, effective_end, plan_replay


def stored(seqnum: int, msg_type: str) -> bytes:
    return encode_message(
        "FIX.4.4", [(35, msg_type), (34, seqnum), (49, "A"), (52, "20240101-00:00:00"), (56, "B")]
    )


def is_app(msg_type: str) -> bool:
    return msg_type not in ("0", "1", "2", "3", "4", "5", "A")


def test_effective_end_resolves_infinity() -> None:
    assert effective_end(0, 10, (0, 999999)) == 9
    assert effective_end(999999, 10, (0, 999999)) == 9
    assert effective_end(50, 10, (0, 999999)) == 9
    assert effective_end(5, 10, (0, 999999)) == 5


def test_admin_runs_become_one_gap_fill_each() -> None:
    frames = [(s, stored(s, t)) for s, t in [(1, "A"), (2, "0"), (3, "D"), (4, "0"), (5, "0"), (6, "D")]]
    steps = plan_replay(1, 7, frames, is_app)
    assert steps == [
        GapFill(1, 3),
        Replay(3, frames[2][1]),
        GapFill(4, 6),
        Replay(6, frames[5][1]),
        GapFill(7, 8),
    ]


@settings(max_examples=120, deadline=None)
@given(
    st.dictionaries(st.integers(1, 30), st.sampled_from(["0", "D", "A", "8"]), max_size=30),
    st.integers(1, 30),
)
def test_every_number_is_covered_once(kinds: dict[int, str], begin: int) -> None:
    end = 30
    frames = [(s, stored(s, t)) for s, t in kinds.items()]
    covered: list[int] = []
    for step in plan_replay(begin, end, frames, is_app):
        if isinstance(step, Replay):
            assert is_app(kinds[step.seqnum])
            covered.append(step.seqnum)
        else:
            assert step.new_seqno > step.seqnum
            covered.extend(range(step.seqnum, step.new_seqno))
    assert covered == list(range(begin, end + 1))


def test_an_empty_stored_msgtype_is_read_from_the_frame() -> None:
    """A store row ``(seqnum, frame, "")`` did not know MsgType(35): the frame says it (here a Heartbeat, 35=0,
    gap-filled, and an order, 35=D, replayed), as it would for a ``(seqnum, frame)`` pair."""
    rows = [(1, stored(1, "0"), ""), (2, stored(2, "D"), ""), (3, stored(3, "D"), "D")]
    steps = plan_replay(1, 3, rows, is_app)
    assert steps == [GapFill(1, 2), Replay(2, rows[1][1]), Replay(3, rows[2][1])]
    assert steps == plan_replay(1, 3, [(s, f) for s, f, _ in rows], is_app)


def test_resendable_is_asked_once_per_msgtype() -> None:
    asked: list[str] = []

    def counting(msg_type: str) -> bool:
        asked.append(msg_type)
        return is_app(msg_type)

    rows = [(s, stored(s, t), t) for s, t in enumerate(["D", "0", "D", "8", "0", "D"], start=1)]
    assert plan_replay(1, 6, rows, counting) == plan_replay(1, 6, rows, is_app)
    assert sorted(asked) == ["0", "8", "D"]


def test_steps_compare_as_values_of_their_own_class() -> None:
    """GapFill and Replay equal only a step of the same class and fields (never a tuple or the other class),
    have no ordering, and stay hashable."""
    assert GapFill(1, 2) == GapFill(1, 2) and GapFill(1, 2) != GapFill(1, 3)
    assert GapFill(1, 2) != (1, 2) and Replay(1, b"x") != (1, b"x")
    assert Replay(1, b"x") != GapFill(1, 2)
    assert len({GapFill(1, 2), GapFill(1, 2), Replay(1, b"x")}) == 2
    with pytest.raises(TypeError):
        _ = GapFill(1, 2) < GapFill(2, 3)  # type: ignore[operator]


@settings(max_examples=80, deadline=None)
@given(st.dictionaries(st.integers(1, 20), st.sampled_from(["0", "D", "A", "8"]), max_size=20), st.integers(1, 20))
def test_store_rows_plan_as_the_frames_alone_do(kinds: dict[int, str], begin: int) -> None:
    """The plan is the same whether MsgType(35) comes from the store, is "" in the row, or is read from the
    frame."""
    pairs = [(s, stored(s, t)) for s, t in kinds.items()]
    from_frames = plan_replay(begin, 20, pairs, is_app)
    assert plan_replay(begin, 20, [(s, f, kinds[s]) for s, f in pairs], is_app) == from_frames
    assert plan_replay(begin, 20, [(s, f, "") for s, f in pairs], is_app) == from_frames
