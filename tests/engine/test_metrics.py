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
from pyfixmsg_plus.engine.metrics import EngineCollector, serve_metrics
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
        after = read(registry, initiator.runner(None).state.value)  # the state gauge shows the runner's state
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
