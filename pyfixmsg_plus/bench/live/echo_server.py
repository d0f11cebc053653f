"""A bare echo server of canned bytes, the floor of a round trip (run in its own process, as the QuickFIX peer is).

``python -m pyfixmsg_plus.bench.live.echo_server --port N`` answers every request of ``--request-bytes`` bytes with
``--reply-bytes`` canned bytes and prints ``ready`` once listening. It imports nothing of the engine.
"""

from __future__ import annotations

import argparse
import asyncio

from pyfixmsg_plus.transport.loop import run as run_loop

READY = "ready"
#: a NewOrderSingle and an ExecutionReport are about this long on the wire, bytes
REQUEST_BYTES, REPLY_BYTES = 190, 250


class _EchoServer(asyncio.Protocol):
    """Answers each complete request with the canned reply (requests may arrive split or joined)."""

    def __init__(self, request_bytes: int, reply: bytes) -> None:
        self.request_bytes = request_bytes
        self.reply = reply
        self.pending = 0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.pending += len(data)
        replies, self.pending = divmod(self.pending, self.request_bytes)
        if replies and self.transport is not None:
            self.transport.write(self.reply * replies)


async def serve(port: int, request_bytes: int, reply_bytes: int) -> None:
    """Listen on 127.0.0.1:``port`` until killed."""
    loop = asyncio.get_running_loop()
    reply = b"8" * reply_bytes
    server = await loop.create_server(lambda: _EchoServer(request_bytes, reply), "127.0.0.1", port)
    print(READY, flush=True)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="bare echo server of canned bytes (round-trip floor)")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--request-bytes", type=int, default=REQUEST_BYTES)
    parser.add_argument("--reply-bytes", type=int, default=REPLY_BYTES)
    args = parser.parse_args(argv)
    run_loop(serve(args.port, args.request_bytes, args.reply_bytes))


if __name__ == "__main__":
    main()
