"""Prometheus metrics of an engine (engine/metrics.py): what a scrape reports after real sessions over loopback.

Two engines talk over 127.0.0.1 (an initiator Client and an acceptor Executor), or our initiator talks to the raw
counterparty of test_persist_messages, which asks for a resend and sends an order the dictionary rejects.
Values are read through a prometheus-client registry, and once over the HTTP exporter.
"""

from __future__ import annotations

import asyncio
import sys
import urllib.request
from typing import Any

import pytest
from engine_kit import Client, Executor, acceptor_config, free_port, initiator_config, order, run_bounded
from test_persist_messages import Counterparty, resend_answer, start_engine

from pyfixmsg_plus.engine import FixEngine
from pyfixmsg_plus.engine.metrics import EngineCollector, SessionCounters, serve_metrics
from pyfixmsg_plus.session.states import SessionState

prometheus_client = pytest.importorskip("prometheus_client")

ORDERS = 3
INITIATOR = {"session": "FIX.4.4:CLIENT->EXEC"}


def registry_of(engine: FixEngine) -> Any:
    registry = prometheus_client.CollectorRegistry(auto_describe=False)
    registry.register(EngineCollector(engine))
    return registry


def test_a_scrape_reports_state_numbers_bytes_and_events_of_live_sessions() -> None:
    async def scenario() -> tuple[dict[str, float | None], dict[str, float | None], int]:
        port = free_port()
        executor, client = Executor(), Client()
        acceptor = await FixEngine.create(acceptor_config(port, ["CLIENT"]), executor)
        executor.engine = acceptor
        await acceptor.open()
        initiator = await FixEngine.create(initiator_config(port, "CLIENT"), client)
        await initiator.open()
        assert await initiator.wait_logged_on(10)
        for n in range(ORDERS):
            await initiator.send_message(order(initiator, f"C{n}"))
        for _ in range(ORDERS):
            await asyncio.wait_for(client.received.get(), 10)
        registry = registry_of(initiator)
        active = read(registry, "Active")
        conn = initiator.runner(None).conn
        assert conn is not None
        sent_while_open = conn.bytes_sent
        await initiator.disconnect(graceful=True)
        assert initiator.runner(None).state is SessionState.DISCONNECTED  # stopped: not waiting to reconnect
        after = read(registry, "Disconnected")
        await acceptor.disconnect()
        return active, after, sent_while_open

    active, after, sent_while_open = run_bounded(scenario())
    assert active["state"] == 1.0 and active["active_sessions"] == 1.0
    assert active["other_states"] == 0.0
    # Logon 1, orders 2..4 out; Logon 1, reports 2..4 in
    assert (active["next_sender"], active["next_target"]) == (ORDERS + 2, ORDERS + 2)
    assert (active["logons"], active["disconnects"]) == (1.0, 0.0)
    assert active["sent_bytes"] == sent_while_open and sent_while_open > 0
    assert active["received_bytes"] is not None and active["received_bytes"] > 0
    # after the Logout: the closed connection's bytes are kept (a counter never goes down) and counted once more
    assert after["state"] == 1.0 and after["other_states"] == 0.0 and after["active_sessions"] == 0.0
    assert (after["logons"], after["logouts"], after["disconnects"]) == (1.0, 1.0, 1.0)
    assert after["sent_bytes"] is not None and after["sent_bytes"] > sent_while_open  # the Logout went out too


def read(registry: Any, state: str) -> dict[str, float | None]:
    """The initiator session's values, with ``state`` the one its state gauge should show."""
    value = registry.get_sample_value
    other_states = [value("pyfixmsg_plus_session_state", {**INITIATOR, "state": s.value})
                    for s in SessionState if s.value != state]  # fmt: skip
    return {
        "state": value("pyfixmsg_plus_session_state", {**INITIATOR, "state": state}),
        "other_states": max(v or 0.0 for v in other_states),
        "active_sessions": value("pyfixmsg_plus_sessions_active"),
        "next_sender": value("pyfixmsg_plus_next_sender_seqnum", INITIATOR),
        "next_target": value("pyfixmsg_plus_next_target_seqnum", INITIATOR),
        "logons": value("pyfixmsg_plus_session_logons_total", INITIATOR),
        "logouts": value("pyfixmsg_plus_session_logouts_total", INITIATOR),
        "disconnects": value("pyfixmsg_plus_session_disconnects_total", INITIATOR),
        "sent_bytes": value("pyfixmsg_plus_session_sent_bytes_total", INITIATOR),
        "received_bytes": value("pyfixmsg_plus_session_received_bytes_total", INITIATOR),
    }


def test_the_http_exporter_serves_resends_and_rejects_of_a_session() -> None:
    async def scenario() -> str:
        peer = Counterparty()
        server = await asyncio.start_server(peer.serve, "127.0.0.1", 0)
        try:
            engine = await start_engine(server.sockets[0].getsockname()[1], None)
            await resend_answer(engine, peer)  # one ResendRequest answered
            asked_at = len(peer.frames)
            peer.send("D", (11, "NO-SYMBOL"))  # a NewOrderSingle without its required fields: a Reject
            await peer.first(lambda frame: b"\x0135=3\x01" in frame, asked_at)
            exporter = serve_metrics(engine, 0)
            try:
                url = f"http://127.0.0.1:{exporter.port}/metrics"
                body = await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=5).read().decode())
            finally:
                exporter.close()
            await engine.disconnect(graceful=False)
        finally:
            server.close()
        return str(body)

    body = run_bounded(scenario())
    session = 'session="FIX.4.4:US->THEM"'
    assert f"pyfixmsg_plus_session_resend_requests_answered_total{{{session}}} 1.0" in body
    assert f"pyfixmsg_plus_session_rejects_sent_total{{{session}}} 1.0" in body
    assert f'pyfixmsg_plus_session_state{{{session},state="Active"}} 1.0' in body
    assert f'pyfixmsg_plus_store_queued_records{{direction="outbound",{session}}}' in body


def test_without_prometheus_client_the_error_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "prometheus_client", None)  # import fails as if not installed
    with pytest.raises(ImportError, match=r"pyfixmsg-plus\[metrics\]"):
        EngineCollector(object())  # type: ignore[arg-type]


def test_metrics_port_serves_while_the_engine_runs_and_stops_with_it() -> None:
    async def scenario() -> tuple[str, int, bool]:
        port = free_port()
        config = acceptor_config(port, ["CLIENT"], MetricsPort=0)  # 0: a free port, as the engine logs
        engine = await FixEngine.create(config, Executor())
        await engine.open()
        assert engine.metrics_server is not None
        served_on = engine.metrics_server.port
        url = f"http://127.0.0.1:{served_on}/metrics"
        body = await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=5).read().decode())
        await engine.disconnect()
        try:
            await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=2).read())
            still_served = True
        except OSError:
            still_served = False
        return str(body), served_on, still_served

    body, served_on, still_served = run_bounded(scenario())
    assert served_on > 0
    assert 'pyfixmsg_plus_session_state{session="FIX.4.4:EXEC->CLIENT",state="Disconnected"} 1.0' in body
    assert not still_served  # disconnect() closed the exporter


def test_a_metrics_port_in_use_fails_open_before_any_session_starts() -> None:
    async def scenario() -> tuple[str, bool]:
        blocker = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        taken = blocker.sockets[0].getsockname()[1]
        accept_port = free_port()
        engine = await FixEngine.create(acceptor_config(accept_port, ["CLIENT"], MetricsPort=taken), Executor())
        try:
            with pytest.raises(OSError) as failure:
                await engine.open()
            listening = engine.acceptors != []
        finally:
            blocker.close()
        return str(failure.value), listening

    _, listening = run_bounded(scenario())
    assert not listening


class ClosingMidScrape:
    """A connection that closes (as the loop thread would) right when a scrape reads its byte count."""

    def __init__(self, counters: SessionCounters) -> None:
        self.counters = counters
        self.bytes_sent = 300
        self._received = 1000
        self.closed = False

    @property
    def bytes_received(self) -> int:
        if not self.closed:
            self.closed = True
            self.counters.connection_closed()  # the switch to the loop thread, between the scrape's two reads
        return self._received


def test_a_connection_closing_during_a_scrape_is_not_counted_twice() -> None:
    counters = SessionCounters()
    counters.connection_opened(ClosingMidScrape(counters))  # type: ignore[arg-type]
    during = counters.bytes_so_far()
    after = counters.bytes_so_far()
    assert during == after == (1000, 300)  # a counter never goes down: no 2000 first, then 1000
    assert counters.disconnects == 1


def test_every_reset_of_the_numbers_is_counted() -> None:
    async def scenario() -> tuple[float | None, float | None]:
        engine = await FixEngine.create(initiator_config(free_port(), "CLIENT"), Client())
        await engine.initialize()
        registry = registry_of(engine)
        before = registry.get_sample_value("pyfixmsg_plus_session_sequence_resets_total", INITIATOR)
        await engine.reset_sequence_numbers()  # an operator's reset while disconnected: through the store
        after = registry.get_sample_value("pyfixmsg_plus_session_sequence_resets_total", INITIATOR)
        await engine.disconnect()
        return before, after

    assert run_bounded(scenario()) == (0.0, 1.0)
