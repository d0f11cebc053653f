"""A benchmark counterparty in a child process (the scale driver, the recovery counterparty), driven from the
event loop of the process being measured.

The child is ``python -m <module> <args>`` with this package on its path. Commands go to its standard input, one a
line; it answers with JSON objects on standard output, one a line, each with an ``event`` name. Its standard error
goes to a log file, whose tail is quoted when the child fails.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

import pyfixmsg_plus

#: seconds a child gets to exit by itself before it is killed
EXIT_GRACE_S = 10.0
#: characters of the child's standard error quoted in an error
LOG_TAIL = 2_000


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free on ``host`` a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class DriverProcess:
    """One child process speaking the line protocol above; ``log_path`` receives its standard error."""

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self._process: asyncio.subprocess.Process | None = None
        self._module = ""

    async def start(self, module: str, args: list[str]) -> None:
        """Start ``python -m module *args`` (the same interpreter, the same pyfixmsg_plus)."""
        self._module = module
        env = dict(os.environ)
        package_root = str(Path(pyfixmsg_plus.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH", "")]))
        with self.log_path.open("wb") as log:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", module, *args,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=log, env=env,
            )  # fmt: skip

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    async def send(self, command: str) -> None:
        """Write one command line to the child."""
        process = self._started()
        assert process.stdin is not None
        process.stdin.write(command.encode() + b"\n")
        await process.stdin.drain()

    async def expect(self, event: str, timeout_s: float = 30.0) -> dict[str, Any]:
        """The next object named ``event`` (others before it are skipped); RuntimeError when the child stops,
        reports an error or stays silent for ``timeout_s`` seconds."""
        process = self._started()
        assert process.stdout is not None
        while True:
            try:
                line = await asyncio.wait_for(process.stdout.readline(), timeout_s)
            except TimeoutError:
                raise self._failure(f"no {event!r} within {timeout_s:g} s") from None
            if not line:
                raise self._failure(f"exited before {event!r}")
            message = json.loads(line)
            if message.get("event") == "error":
                raise self._failure(f"reported an error: {message.get('reason')}")
            if message.get("event") == event:
                return dict(message)

    async def request(self, command: str, event: str, timeout_s: float = 30.0) -> dict[str, Any]:
        """``send(command)`` then ``expect(event)``."""
        await self.send(command)
        return await self.expect(event, timeout_s)

    async def stop(self) -> int | None:
        """Close the child's input, wait EXIT_GRACE_S for it to exit, else kill it; returns its exit code."""
        process = self._process
        if process is None:
            return None
        if process.returncode is None and process.stdin is not None and not process.stdin.is_closing():
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), EXIT_GRACE_S)
        except TimeoutError:
            process.kill()
            await process.wait()
        return process.returncode

    def _started(self) -> asyncio.subprocess.Process:
        if self._process is None:
            raise RuntimeError("the benchmark counterparty was not started")
        return self._process

    def _failure(self, what: str) -> RuntimeError:
        try:
            tail = self.log_path.read_text(errors="replace")[-LOG_TAIL:]
        except OSError:
            tail = ""
        return RuntimeError(f"benchmark counterparty {self._module} (pid {self.pid}) {what}; stderr:\n{tail}")
