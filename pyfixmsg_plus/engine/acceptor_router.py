"""One listening port, many sessions: a new connection is routed to its session by its first Logon(35=A).

FIX: the first message on a connection must be a Logon; its BeginString(8), SenderCompID(49) and
TargetCompID(56) name the session. A connection whose Logon names no configured session (or a session that is
already connected), whose first message is not a Logon, or that sends no valid frame within LogonTimeout is
closed with a log line naming the peer and the reason; nothing of it reaches the application.

A Logon naming a session outside its StartTime..EndTime, or whose ``[Scheduler] schedules`` gate is closed
(stopped, or a scheduled sequence reset under way), is refused the same way, before the session sees it: as
QuickFIX refuses a Logon outside session time by disconnecting ("Received logon outside of valid session time"),
no Logout(35=5) answers it, so no MsgSeqNum(34) is used and the session and its store are left as they are (after
a reset, the first accepted Logon is answered with MsgSeqNum 1). The log line names the session and when it takes
Logons again.
"""

from __future__ import annotations

import asyncio
import logging

from pyfixmsg_plus import _impl
from pyfixmsg_plus.engine.scheduler import SchedulerGate
from pyfixmsg_plus.engine.session_runner import SessionRunner
from pyfixmsg_plus.engine.session_time import outside_session_time
from pyfixmsg_plus.session import SessionRegistry
from pyfixmsg_plus.transport import Connection

log = logging.getLogger("pyfixmsg_plus.engine")


class AcceptorRouter:
    """The receiver factory of one :class:`~pyfixmsg_plus.transport.Acceptor`, serving ``runners``' sessions.

    ``logon_timeout`` (seconds) bounds how long an accepted connection may stay silent before its Logon.
    ``refused`` counts refused connections (for tests and monitoring).
    """

    def __init__(self, runners: list[SessionRunner], logon_timeout: float = 10.0) -> None:
        self.registry = SessionRegistry([runner.session for runner in runners])
        self._runners = {id(runner.session): runner for runner in runners}
        self.logon_timeout = logon_timeout
        self.refused = 0

    def __call__(self) -> PendingConnection:
        return PendingConnection(self)

    def runner_for(self, frame: bytes) -> tuple[SessionRunner | None, str]:
        """The runner whose session the Logon ``frame`` names, or None and why the connection is refused."""
        route = self.registry.route(frame)
        if route.session is None:
            return None, route.reason
        runner = self._runners[id(route.session)]
        closed = closed_to_logons(runner)
        if closed is not None:
            return None, closed
        if not runner.claim():
            return None, f"session {runner.session_id} is already connected"
        return runner, ""

    def refuse(self, conn: Connection, reason: str) -> None:
        """Close ``conn`` without an answer, logging the peer and ``reason``."""
        self.refused += 1
        log.warning("refused connection from %s: %s", conn.describe(), reason)
        conn.abort()


class PendingConnection:
    """The receiver of an accepted connection: buffers until the first valid frame names the session, then
    forwards everything to that session's runner."""

    def __init__(self, router: AcceptorRouter) -> None:
        self.router = router
        self.conn: Connection | None = None
        self.runner: SessionRunner | None = None
        self._framer = _impl.load("framing").Framer()
        self._held: list[bytes] = []
        self._routing: asyncio.Task[None] | None = None
        self._timeout: asyncio.TimerHandle | None = None

    def on_connected(self, conn: Connection) -> None:
        self.conn = conn
        loop = asyncio.get_running_loop()
        self._timeout = loop.call_later(self.router.logon_timeout, self._no_logon)

    def on_data(self, data: bytes) -> None:
        if self.runner is not None:
            self.runner.on_data(data)
            return
        if self._routing is not None:
            self._held.append(data)
            return
        index = self._framer.feed(data)
        for i in range(len(index)):
            if index.valid[i]:
                self._route(index.frame(i), bytes(index.buffer[int(index.offsets[i]) :]))
                return

    def on_disconnected(self, exc: BaseException | None) -> None:
        self._cancel_timeout()
        if self.runner is not None:
            self.runner.on_disconnected(exc)
        elif self._routing is not None:
            self._routing.cancel()

    def _route(self, frame: bytes, rest: bytes) -> None:
        assert self.conn is not None
        runner, reason = self.router.runner_for(frame)
        if runner is None:
            self._cancel_timeout()
            self.router.refuse(self.conn, reason)
            return
        self._routing = asyncio.get_running_loop().create_task(self._bind(runner, frame, rest))

    async def _bind(self, runner: SessionRunner, frame: bytes, rest: bytes) -> None:
        """Let the application check the Logon (it may be async), then hand the connection to the runner."""
        conn = self.conn
        assert conn is not None
        try:
            await runner.prepare_logon(frame)
        except asyncio.CancelledError:
            runner.release()
            raise
        except Exception:
            log.exception("session %s: onLogonRequest failed; refusing the connection", runner.session_id)
            runner.release()
            self.router.refuse(conn, "the application's Logon check failed")
            return
        self._cancel_timeout()
        if conn.is_closing:
            runner.release()
            return
        closed = closed_to_logons(runner)  # the gate closed while the application checked the Logon
        if closed is not None:
            runner.release()
            self.router.refuse(conn, closed)
            return
        self.runner = runner
        runner.on_connected(conn)
        runner.on_data(rest + b"".join(self._held))
        self._held.clear()

    def _no_logon(self) -> None:
        self._timeout = None
        if self.runner is not None or self.conn is None:
            return
        if self._routing is None:
            self.router.refuse(self.conn, f"no valid Logon within {self.router.logon_timeout:g} s")
        elif not self._routing.done():
            # LogonTimeout bounds the application's Logon check too: a hung check must not keep the session
            # claimed (every later connection would be refused as already connected); cancelling releases it
            self._routing.cancel()
            self.router.refuse(
                self.conn, f"the application's Logon check did not answer within {self.router.logon_timeout:g} s"
            )

    def _cancel_timeout(self) -> None:
        if self._timeout is not None:
            self._timeout.cancel()
            self._timeout = None


def closed_to_logons(runner: SessionRunner) -> str | None:
    """Why ``runner``'s session takes no Logon now, naming the session and when it takes them again: its
    ``[Scheduler] schedules`` gate is closed, or it is outside its StartTime..EndTime. None when the session may
    see the Logon."""
    schedule = runner.schedule
    if isinstance(schedule, SchedulerGate):
        refusal = schedule.logon_refusal()
    else:
        refusal = outside_session_time(schedule, runner.clock())
    if refusal is None:
        return None
    return f"session {runner.session_id} refuses its Logon without an answer: {refusal}"
