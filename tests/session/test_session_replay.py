"""Answering a ResendRequest: replays and gap fills cover the range exactly once, in order."""

from __future__ import annotations

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
