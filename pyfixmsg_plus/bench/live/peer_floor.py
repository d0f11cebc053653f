"""The round trip's floor with the real peer: canned FIX frames from a bare client to the same QuickFIX acceptor.

The echo floor (:mod:`.echo`) answers with a Python echo server; our initiator's row talks to a QuickFIX C++
acceptor, which parses, validates and stores each order and builds its ExecutionReport. This row keeps that
acceptor and replaces our engine by the least a FIX client can do: a plain asyncio protocol that writes frames
encoded before the timed loop (Logon with ResetSeqNumFlag(141)=Y, then one NewOrderSingle per sample, numbered in
order) and counts the complete ExecutionReports (35=8) it reads back. What our row costs above this one is our
session's own work; what this row costs above the echo is the peer's.
"""

from __future__ import annotations

import asyncio
import socket
import time

import numpy as np

from pyfixmsg_plus.bench.live import rawfix
from pyfixmsg_plus.bench.live.engines import HEARTBEAT_S, OURS, QUICKFIX_SIDE
from pyfixmsg_plus.bench.live.results import PEER_FLOOR, LatencySummary, LiveResult
from pyfixmsg_plus.bench.peers import PeerAvailability

SCENARIO = "round trip D->8"
#: orders sent before the timed ones (connection and peer caches warm up), as our row's engine warms up at Logon
WARM_UP = 200
#: where a frame ends: CheckSum(10) is the last field
_CHECKSUM = b"\x0110="
_SOH = b"\x01"
_EXECUTION_REPORT = b"\x0135=8\x01"
_LOGON = b"\x0135=A\x01"


class _CannedClient(asyncio.Protocol):
    """Counts the complete frames of one MsgType(35) marker it reads; ``waiter`` resolves at each new one."""

    def __init__(self) -> None:
        self.pending = b""  # bytes after the last complete frame
        self.marker = _LOGON
        self.waiter: asyncio.Future[None] | None = None

    def data_received(self, data: bytes) -> None:
        buffer = self.pending + data if self.pending else data
        end = _end_of_last_complete_frame(buffer)
        if end < 0:  # no complete frame yet (a frame cut by the read): keep it all
            self.pending = buffer
            return
        complete, self.pending = buffer[: end + 1], buffer[end + 1 :]
        waiter = self.waiter
        if complete.count(self.marker) and waiter is not None and not waiter.done():
            waiter.set_result(None)


def _end_of_last_complete_frame(buffer: bytes) -> int:
    """Offset of the SOH that ends the last complete frame of ``buffer`` (its CheckSum(10) field), else -1."""
    search_end = len(buffer)
    while (checksum := buffer.rfind(_CHECKSUM, 0, search_end)) >= 0:
        end = buffer.find(_SOH, checksum + len(_CHECKSUM))
        if end >= 0:
            return end
        search_end = checksum  # that frame is cut by the read: the one before it may be whole
    return -1


def canned_orders(count: int, first_seqnum: int) -> list[bytes]:
    """``count`` NewOrderSingle frames numbered from ``first_seqnum``, stamped now (the peer checks SendingTime)."""
    from pyfixmsg_plus.bench.live.roundtrip import order_fields  # the same order as our row's

    build = rawfix.build_frame
    return [build("D", first_seqnum + k, OURS, QUICKFIX_SIDE, order_fields(f"RT{k}")) for k in range(count)]


async def _client(port: int, samples: int) -> np.ndarray:
    loop = asyncio.get_running_loop()
    transport, client = await loop.create_connection(_CannedClient, "127.0.0.1", port)
    sock = transport.get_extra_info("socket")
    if sock is not None:  # as our connections do: each frame leaves at once
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        client.waiter = loop.create_future()
        transport.write(rawfix.build_frame("A", 1, OURS, QUICKFIX_SIDE, [*rawfix.logon_body(HEARTBEAT_S), (141, "Y")]))
        await client.waiter
        client.marker = _EXECUTION_REPORT
        orders = canned_orders(WARM_UP + samples, 2)
        latencies = np.empty(samples, dtype=np.int64)
        for i, frame in enumerate(orders):
            client.waiter = loop.create_future()
            started = time.perf_counter_ns()
            transport.write(frame)
            await client.waiter
            if i >= WARM_UP:
                latencies[i - WARM_UP] = time.perf_counter_ns() - started
        return latencies
    finally:
        transport.close()


async def peer_floor(samples: int, peers: PeerAvailability, timeout_s: float | None = None) -> LiveResult:
    """``samples`` round trips of canned frames to a QuickFIX C++ acceptor set up as for our initiator's row."""
    timeout = timeout_s if timeout_s is not None else 60.0 + samples / 500
    with peers.peer("acceptor", sender_comp_id=QUICKFIX_SIDE, target_comp_id=OURS, heartbeat_s=HEARTBEAT_S) as qf:
        latencies = await asyncio.wait_for(_client(qf.port, samples), timeout)
    return LiveResult(SCENARIO, PEER_FLOOR, samples, float(latencies.sum()) / 1e9,
                      latency=LatencySummary.from_nanoseconds(latencies), samples_ns=latencies)  # fmt: skip


def main(samples: int = 10_000) -> LiveResult:
    """Run the row on its own event loop (``python3 -m pyfixmsg_plus.bench.live.peer_floor``)."""
    from pyfixmsg_plus.bench.peers import find_peer
    from pyfixmsg_plus.transport.loop import run as run_loop

    return run_loop(peer_floor(samples, find_peer()))


if __name__ == "__main__":
    result = main()
    assert result.latency is not None
    print(f"{result.implementation}: p50 {result.latency.p50_us:.1f} us, p99 {result.latency.p99_us:.1f} us")
