"""The peer-floor row of the round trip: a bare client of canned FIX frames to the QuickFIX C++ acceptor.

The client's frame counting is checked on reads cut anywhere (no peer needed); the row itself runs a few round
trips against the peer where it can be built (skipped with the reason otherwise, as the other live smoke tests).
"""

from __future__ import annotations

import asyncio

from pyfixmsg_plus.bench import peers
from pyfixmsg_plus.bench.live import rawfix
from pyfixmsg_plus.bench.live.engines import OURS, QUICKFIX_SIDE
from pyfixmsg_plus.bench.live.peer_floor import _EXECUTION_REPORT, PEER_FLOOR, _CannedClient, canned_orders, peer_floor
from pyfixmsg_plus.transport.loop import run as run_loop

SAMPLES = 30


def frame(msg_type: str, seqnum: int) -> bytes:
    return rawfix.build_frame(msg_type, seqnum, QUICKFIX_SIDE, OURS, [(11, "X")])


def resolutions(reads: list[bytes]) -> list[int]:
    """Indexes of the reads after which the client's waiter resolved (a fresh waiter before each read)."""

    async def feed() -> list[int]:
        client = _CannedClient()
        client.marker = _EXECUTION_REPORT
        resolved = []
        for index, data in enumerate(reads):
            client.waiter = asyncio.get_running_loop().create_future()
            client.data_received(data)
            if client.waiter.done():
                resolved.append(index)
        return resolved

    return asyncio.run(feed())


def test_a_report_cut_across_reads_resolves_only_once_complete() -> None:
    report = frame("8", 2)
    for cut in range(1, len(report)):
        assert resolutions([report[:cut], report[cut:]]) == [1], cut


def test_frames_of_other_types_do_not_resolve_the_wait() -> None:
    heartbeat, report = frame("0", 2), frame("8", 3)
    assert resolutions([heartbeat, report]) == [1]
    assert resolutions([heartbeat + report[:10], report[10:]]) == [1]


def test_a_report_followed_by_a_cut_frame_resolves_at_once() -> None:
    report, heartbeat = frame("8", 2), frame("0", 3)
    cut = heartbeat.rindex(b"\x0110=") + 5  # the next frame's CheckSum(10) has begun, not ended
    assert resolutions([report + heartbeat[:cut], heartbeat[cut:]]) == [0]


def test_canned_orders_are_numbered_in_order_and_framed() -> None:
    orders = canned_orders(3, 2)
    assert [rawfix.field_value(order, 34) for order in orders] == [b"2", b"3", b"4"]
    assert all(rawfix.field_value(order, 35) == b"D" and order.endswith(b"\x01") for order in orders)


def test_the_row_times_every_round_trip_against_the_peer(quickfix_peer: peers.PeerAvailability) -> None:
    row = run_loop(peer_floor(SAMPLES, quickfix_peer, timeout_s=60.0))
    assert row.implementation == PEER_FLOOR
    assert row.latency is not None and row.latency.samples == SAMPLES
    assert row.samples_ns is not None and len(row.samples_ns) == SAMPLES and min(row.samples_ns) > 0
