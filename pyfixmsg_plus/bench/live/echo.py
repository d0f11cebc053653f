"""The floor of a round trip: a bare echo of canned bytes over loopback TCP, with no FIX session on either side.

The server (:mod:`.echo_server`) runs in its own process, as the QuickFIX peer does; the client
(:func:`measure_echo`) sends one request at a time and times the reply.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import numpy as np

from pyfixmsg_plus.bench.live import echo_server
from pyfixmsg_plus.bench.live.echo_server import READY, REPLY_BYTES, REQUEST_BYTES
from pyfixmsg_plus.transport.loop import run as run_loop


class _EchoClient(asyncio.Protocol):
    def __init__(self, reply_bytes: int) -> None:
        self.reply_bytes = reply_bytes
        self.received = 0
        self.waiter: asyncio.Future[None] | None = None

    def data_received(self, data: bytes) -> None:
        self.received += len(data)
        if self.received >= self.reply_bytes and self.waiter is not None and not self.waiter.done():
            self.received -= self.reply_bytes
            self.waiter.set_result(None)


async def _client(port: int, samples: int, request_bytes: int, reply_bytes: int) -> np.ndarray:
    loop = asyncio.get_running_loop()
    transport, client = await loop.create_connection(lambda: _EchoClient(reply_bytes), "127.0.0.1", port)
    request = b"D" * request_bytes
    latencies = np.empty(samples, dtype=np.int64)
    try:
        for i in range(samples):
            client.waiter = loop.create_future()
            started = time.perf_counter_ns()
            transport.write(request)
            await client.waiter
            latencies[i] = time.perf_counter_ns() - started
    finally:
        transport.close()
    return latencies


def measure_echo(
    samples: int, port: int, request_bytes: int = REQUEST_BYTES, reply_bytes: int = REPLY_BYTES,
    use_uvloop: bool | None = None, timeout_s: float = 60.0,
) -> np.ndarray:  # fmt: skip
    """Round-trip latencies in nanoseconds of ``samples`` canned requests to an echo server process."""
    # -c rather than -m: running a submodule of an already imported package with -m makes runpy warn
    launcher = f"import sys; from {echo_server.__name__} import main; main(sys.argv[1:])"
    command = [sys.executable, "-c", launcher, "--port", str(port),
               "--request-bytes", str(request_bytes), "--reply-bytes", str(reply_bytes)]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline().strip()
        if line != READY:
            raise RuntimeError(f"echo server on port {port} did not start (printed {line!r})")
        return run_loop(asyncio.wait_for(_client(port, samples, request_bytes, reply_bytes), timeout_s), use_uvloop)
    finally:
        server.kill()
        server.wait()
