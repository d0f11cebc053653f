"""Prometheus metrics of an engine's sessions, read when scraped: nothing is counted on the message path.

:class:`SessionCounters` are plain integers a runner bumps on rare session events only (Logon, Logout, a
disconnect, a ResendRequest(2) answered, a sequence reset, a Reject sent, a garbled frame skipped), where the runner
already logs them. Everything else is read at scrape time from what the engine keeps anyway: each session's state
and next MsgSeqNum(34)s, its connection's byte counts, the queues of its store writers.

:class:`EngineCollector` is a prometheus-client custom collector over a
:class:`~pyfixmsg_plus.engine.FixEngine`; register it in your own registry, or let :func:`serve_metrics` (the
``MetricsPort`` setting) expose it over HTTP. prometheus-client is an optional dependency
(``pip install pyfixmsg-plus[metrics]``); this module imports it only when a collector is built.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from pyfixmsg_plus.session.states import SessionState

if TYPE_CHECKING:
    from pyfixmsg_plus.engine.engine import FixEngine
    from pyfixmsg_plus.engine.session_runner import SessionRunner
    from pyfixmsg_plus.transport import Connection

log = logging.getLogger("pyfixmsg_plus.engine")

#: prefix of every metric name
NAMESPACE = "pyfixmsg_plus"
_INSTALL_HINT = "prometheus-client is not installed: pip install 'pyfixmsg-plus[metrics]' (or prometheus-client)"


@dataclass(slots=True)
class SessionCounters:
    """Monotonic counts of one session's rare events since the engine was created (not reset with the sequence
    numbers). Bytes of closed connections are added here when they close; the open one is read live.
    ``sequence_resets`` counts every return of both numbers to 1: ResetSeqNumFlag, a new session period, the
    scheduler, an operator's reset."""

    logons: int = 0
    logouts: int = 0
    disconnects: int = 0
    resend_requests_answered: int = 0
    sequence_resets: int = 0
    rejects_sent: int = 0
    garbled_frames_ignored: int = 0
    #: (bytes received, bytes sent) of the closed connections, and the open one (None between connections):
    #: replaced whole, so a scrape on another thread never counts a closing connection's bytes twice
    traffic: tuple[int, int, Connection | None] = (0, 0, None)

    def connection_opened(self, conn: Connection) -> None:
        """The session's connection from now on (its bytes are read live at each scrape)."""
        received, sent, _ = self.traffic
        self.traffic = (received, sent, conn)

    def connection_closed(self) -> None:
        """The open connection ended: one disconnect, and its byte counts kept with the closed ones."""
        received, sent, conn = self.traffic
        self.disconnects += 1
        if conn is not None:
            self.traffic = (received + conn.bytes_received, sent + conn.bytes_sent, None)

    def bytes_so_far(self) -> tuple[int, int]:
        """(received, sent) over every connection, the open one included."""
        received, sent, conn = self.traffic  # one read: closed counts and open connection of the same moment
        if conn is None:
            return received, sent
        return received + conn.bytes_received, sent + conn.bytes_sent


#: (counter field, metric name without namespace and ``_total``, help)
_EVENT_COUNTERS: tuple[tuple[str, str, str], ...] = (
    ("logons", "session_logons", "Logon exchanges completed"),
    ("logouts", "session_logouts", "Times the session left Active (Logout exchanged, timed out, or connection lost)"),
    ("disconnects", "session_disconnects", "Connections of the session that closed"),
    ("resend_requests_answered", "session_resend_requests_answered", "ResendRequest(35=2) received and answered"),
    ("sequence_resets", "session_sequence_resets", "Times both MsgSeqNum(34) went back to 1"),
    ("rejects_sent", "session_rejects_sent", "Reject(35=3) and BusinessMessageReject(35=j) sent"),
    ("garbled_frames_ignored", "session_garbled_frames_ignored", "Garbled input spans skipped without reply"),
)
assert {name for name, _, _ in _EVENT_COUNTERS} <= {f.name for f in fields(SessionCounters)}


def _prometheus() -> Any:
    try:
        import prometheus_client
        import prometheus_client.core  # the metric families of custom collectors
    except ImportError as exc:  # an optional dependency: say how to get it
        raise ImportError(_INSTALL_HINT) from exc
    return prometheus_client


class EngineCollector:
    """A prometheus-client collector of every session of ``engine``, labelled ``session`` (the SessionID's text,
    e.g. ``FIX.4.4:US->THEM``). Values are read when ``collect`` runs (at each scrape), on the scraping thread:
    plain attribute reads of ints and enums, which the event loop's thread only ever replaces whole."""

    def __init__(self, engine: FixEngine, namespace: str = NAMESPACE) -> None:
        self._metrics = _prometheus().core
        self.engine = engine
        self.namespace = namespace

    def describe(self) -> Iterable[Any]:
        """No up-front description: the registry then calls :meth:`collect` at registration (cheap here)."""
        return []

    def collect(self) -> Iterator[Any]:
        runners = list(self.engine.runners.values())
        yield from self._state_metrics(runners)
        yield from self._sequence_metrics(runners)
        yield from self._byte_metrics(runners)
        yield from self._event_metrics(runners)
        yield from self._store_metrics(runners)

    def _name(self, name: str) -> str:
        return f"{self.namespace}_{name}"

    def _state_metrics(self, runners: list[SessionRunner]) -> Iterator[Any]:
        core = self._metrics
        state = core.GaugeMetricFamily(self._name("session_state"),
                                       "1 for the state the session is in, 0 for the others",
                                       labels=["session", "state"])  # fmt: skip
        active = core.GaugeMetricFamily(self._name("sessions_active"), "Sessions logged on (state Active)")
        for runner in runners:
            current = runner.state
            for candidate in SessionState:
                state.add_metric([str(runner.session_id), candidate.value], 1.0 if candidate is current else 0.0)
        active.add_metric([], float(sum(runner.state is SessionState.ACTIVE for runner in runners)))
        yield state
        yield active

    def _sequence_metrics(self, runners: list[SessionRunner]) -> Iterator[Any]:
        core = self._metrics
        sender = core.GaugeMetricFamily(self._name("next_sender_seqnum"), "MsgSeqNum(34) of the next message sent",
                                        labels=["session"])  # fmt: skip
        target = core.GaugeMetricFamily(self._name("next_target_seqnum"),
                                        "MsgSeqNum(34) expected on the next message received", labels=["session"])
        for runner in runners:
            label = [str(runner.session_id)]
            sender.add_metric(label, float(runner.session.next_sender_seqnum))
            target.add_metric(label, float(runner.session.next_target_seqnum))
        yield sender
        yield target

    def _byte_metrics(self, runners: list[SessionRunner]) -> Iterator[Any]:
        core = self._metrics
        received = core.CounterMetricFamily(self._name("session_received_bytes"),
                                            "Bytes read from the session's connections", labels=["session"])
        sent = core.CounterMetricFamily(self._name("session_sent_bytes"),
                                        "Bytes written to the session's connections", labels=["session"])
        for runner in runners:
            total_received, total_sent = runner.counters.bytes_so_far()
            label = [str(runner.session_id)]
            received.add_metric(label, float(total_received))
            sent.add_metric(label, float(total_sent))
        yield received
        yield sent

    def _event_metrics(self, runners: list[SessionRunner]) -> Iterator[Any]:
        core = self._metrics
        for field_name, name, documentation in _EVENT_COUNTERS:
            family = core.CounterMetricFamily(self._name(name), documentation, labels=["session"])
            for runner in runners:
                family.add_metric([str(runner.session_id)], float(getattr(runner.counters, field_name)))
            yield family

    def _store_metrics(self, runners: list[SessionRunner]) -> Iterator[Any]:
        core = self._metrics
        queued = core.GaugeMetricFamily(self._name("store_queued_records"),
                                        "Records handed to the store and not yet written (write-behind, batches)",
                                        labels=["session", "direction"])  # fmt: skip
        for runner in runners:
            label = str(runner.session_id)
            queued.add_metric([label, "outbound"], float(_queued(runner.writer)))
            queued.add_metric([label, "inbound"], float(_queued(runner.inbound)))
        yield queued


def _queued(writer: Any) -> int:
    """Records a writer holds for the store (its ``queued``); 0 for writers that keep none (sync, group commit)."""
    return int(getattr(writer, "queued", 0))


@dataclass
class MetricsServer:
    """The HTTP exporter :func:`serve_metrics` started; :meth:`close` stops it."""

    server: Any
    thread: Any
    port: int

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_metrics(engine: FixEngine, port: int, address: str = "127.0.0.1") -> MetricsServer:
    """Serve ``engine``'s metrics at ``http://address:port/metrics`` from a daemon thread (its own registry: the
    process's default one is left alone). ``port`` 0 picks a free port (see :attr:`MetricsServer.port`)."""
    prometheus = _prometheus()
    registry = prometheus.CollectorRegistry(auto_describe=False)
    registry.register(EngineCollector(engine))
    server, thread = prometheus.start_http_server(port, addr=address, registry=registry)
    bound = int(server.server_address[1])
    log.info("metrics of %d session(s) served at http://%s:%d/metrics", len(engine.runners), address, bound)
    return MetricsServer(server, thread, bound)
