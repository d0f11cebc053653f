"""Scale: N concurrent sessions on one acceptor port, in this process, driven from another process.

Our acceptor engine (``PYFIX``, memory store, HeartBtInt=1 s) serves N sessions on one port, routed by their Logon
CompIDs (``S0001`` ... ``SNNNN``). :mod:`pyfixmsg_plus.bench.live.scale_driver` runs the N initiators in a child
process over raw sockets, so that the acceptor's process does nothing but the sessions. Two phases of ``hold_s``
seconds each:

* **idle**: heartbeats only;
* **load**: every initiator also sends ``rate`` NewOrderSingle (35=D) a second, spread evenly.

A missed heartbeat is a TestRequest (35=1) sent by either side (the acceptor's come from its store, the
initiators' from the driver) or a lost session. Figures (see :class:`ScaleSummary`): sessions held, missed
heartbeats, CPU seconds of this process per session per second, resident memory per session, the longest silence
of the acceptor. QuickFIX C++ has no row: the project's peer runs one session per process.
"""

from __future__ import annotations

import asyncio
import gc
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyfixmsg_plus.application import Application, msg_type_of
from pyfixmsg_plus.bench.live.driver_process import DriverProcess, free_port
from pyfixmsg_plus.bench.live.engines import OURS
from pyfixmsg_plus.bench.live.results import QUICKFIX, LiveResult, ScaleSummary, unavailable
from pyfixmsg_plus.config import ConfigManager
from pyfixmsg_plus.session import SessionState
from pyfixmsg_plus.store import Direction, MessageQuery
from pyfixmsg_plus.transport.loop import run as run_loop

SCENARIO = "scale"
OUR_ROW = "pyfixmsg-plus acceptor, memory store"
DEFAULT_SESSIONS = (100, 500)
DEFAULT_HOLD_S = 10.0
#: NewOrderSingle per second per session in the load phase
DEFAULT_RATE = 10.0
#: HeartBtInt(108) of every scale session, seconds (the issue's "idle with heartbeats")
SCALE_HEARTBEAT_S = 1
#: longest wait for the acceptor to receive the orders still in flight when the load stops, seconds
DRAIN_TIMEOUT_S = 30.0
QUICKFIX_UNAVAILABLE = (
    "qfpeer (QuickFIX C++) runs one session per process: a QuickFIX row would need a multi-session "
    "acceptor build of the peer; not measured"
)
TEST_REQUEST = "1"
NEW_ORDER_SINGLE = "D"


def idle_scenario(sessions: int) -> str:
    return f"scale {sessions} sessions, idle"


def load_scenario(sessions: int, rate: float) -> str:
    return f"scale {sessions} sessions, {rate:g} orders/s each"


def steps_for(sessions: Sequence[int]) -> int:
    """Progress steps of :func:`run_scale`: logon, idle and load per size."""
    return 3 * len(sessions)


class ScaleApplication(Application):
    """Counts the orders delivered and the sessions lost (Logout or disconnect) since ``reset``."""

    def __init__(self) -> None:
        super().__init__()
        self.orders = 0
        self.logouts = 0

    def reset(self) -> None:
        self.orders = self.logouts = 0

    def fromApp(self, message: Any, sessionID: Any) -> None:
        # a plain function: the engine calls it without a task per message
        if msg_type_of(message) == NEW_ORDER_SINGLE:
            self.orders += 1

    def onLogout(self, sessionID: Any) -> None:
        self.logouts += 1


def initiator_names(sessions: int) -> list[str]:
    """SenderCompID(49) of each initiator, as the driver names them."""
    return [f"S{i:04d}" for i in range(1, sessions + 1)]


def acceptor_config(port: int, sessions: int, heartbeat_s: int = SCALE_HEARTBEAT_S) -> ConfigManager:
    """Our acceptor PYFIX with one session per initiator, all on 127.0.0.1:``port``, memory store."""
    defaults: dict[str, Any] = {
        "ConnectionType": "acceptor", "SocketAcceptHost": "127.0.0.1", "SocketAcceptPort": port,
        "HeartBtInt": heartbeat_s, "StoreType": "memory", "PersistenceMode": "group",
    }  # fmt: skip
    per_session = [{"SenderCompID": OURS, "TargetCompID": name} for name in initiator_names(sessions)]
    return ConfigManager.from_dict({"DEFAULT": defaults, "SESSION": per_session})


@dataclass
class PhaseMark:
    """Where a phase started: wall clock (store SendingTime), process CPU and monotonic clock, seconds."""

    wall: float
    cpu: float
    monotonic: float

    @classmethod
    def now(cls) -> PhaseMark:
        return cls(time.time(), time.process_time(), time.perf_counter())


@dataclass(frozen=True)
class Setting:
    """One size of the scenario: ``sessions`` for ``hold_s`` seconds per phase, ``rate`` orders/s under load."""

    sessions: int
    hold_s: float
    rate: float


async def _test_requests_sent_by(engine: Any, since: float) -> int:
    """TestRequests (35=1) our acceptor sent since ``since`` (epoch seconds), read back from its stores."""
    query = MessageQuery(direction=Direction.OUTBOUND, msg_type=TEST_REQUEST, since=since)
    return sum([len(await store.query(query)) for store in engine.stores])


async def _drain(app: ScaleApplication, orders_sent: int) -> None:
    """Wait until the acceptor delivered every order the initiators sent (bounded by DRAIN_TIMEOUT_S)."""
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    while app.orders < orders_sent and time.monotonic() < deadline:
        await asyncio.sleep(0.01)


async def _phase(engine: Any, app: ScaleApplication, driver: DriverProcess, setting: Setting, rate: float,
                 rss_per_session_kib: float) -> LiveResult:  # fmt: skip
    """One phase: reset the counters on both sides, hold (loaded at ``rate`` or idle), then gather the figures."""
    await driver.request("reset", "reset")
    app.reset()
    mark = PhaseMark.now()
    if rate:
        await driver.send(f"load {rate:g}")
    await asyncio.sleep(setting.hold_s)
    if rate:
        await driver.send("quiet")
        await _drain(app, int((await driver.request("report", "report"))["orders_sent"]))
    seconds = time.perf_counter() - mark.monotonic
    cpu_s = time.process_time() - mark.cpu
    seen = await driver.request("report", "report")
    by_acceptor = await _test_requests_sent_by(engine, mark.wall)
    disconnects = max(app.logouts, int(seen["connections_lost"]))
    held = sum(1 for runner in engine.runners.values() if runner.state is SessionState.ACTIVE)
    summary = ScaleSummary(
        sessions=setting.sessions,
        held=held,
        missed_heartbeats=by_acceptor + int(seen["test_requests_sent"]) + disconnects,
        cpu_s_per_session_s=cpu_s / (setting.sessions * seconds),
        rss_kib_per_session=rss_per_session_kib,
        max_heartbeat_gap_s=float(seen["max_gap_s"]),
    )
    details = {
        "test_requests_by_acceptor": by_acceptor, "test_requests_by_initiators": seen["test_requests_sent"],
        "disconnects": disconnects, "heartbeats_to_initiators": seen["heartbeats_received"],
        "orders_sent": seen["orders_sent"], "orders_delivered": app.orders, "rejects": seen["rejects_received"],
        "cpu_seconds": cpu_s, "cpu_share_of_one_core": cpu_s / seconds, "heartbeat_s": SCALE_HEARTBEAT_S,
        "rate_per_session": rate,
    }  # fmt: skip
    scenario = load_scenario(setting.sessions, rate) if rate else idle_scenario(setting.sessions)
    return LiveResult(scenario, OUR_ROW, int(seen["frames_sent"]), seconds, scale=summary, details=details)


async def _one_size(setting: Setting, step: Callable[[str], None], scratch: Path) -> list[LiveResult]:
    from pyfixmsg_plus.engine import FixEngine

    n = setting.sessions
    step(f"{SCENARIO}: logging on {n} sessions")
    gc.collect()
    # Python heap allocated by the engine and its sessions (tracemalloc: exact, and unlike the resident size it
    # does not depend on what an earlier size's run left allocated in this process)
    tracemalloc.start()
    port = free_port()
    app = ScaleApplication()
    engine = await FixEngine.create(acceptor_config(port, n), app)
    await engine.open()
    driver = DriverProcess(scratch / f"driver-{n}.log")
    try:
        started = time.perf_counter()
        await driver.start(
            "pyfixmsg_plus.bench.live.scale_driver",
            ["--port", str(port), "--sessions", str(n), "--heartbeat", str(SCALE_HEARTBEAT_S), "--target", OURS],
        )
        ready = await driver.expect("ready", timeout_s=60.0 + n / 10)
        logon_s = time.perf_counter() - started
        gc.collect()
        rss_kib = tracemalloc.get_traced_memory()[0] / n / 1024
        tracemalloc.stop()  # before the timed phases: tracing slows every allocation
        step(f"{SCENARIO}: {n} sessions idle for {setting.hold_s:g} s")
        idle = await _phase(engine, app, driver, setting, 0.0, rss_kib)
        step(f"{SCENARIO}: {n} sessions sending {setting.rate:g} orders/s each")
        load = await _phase(engine, app, driver, setting, setting.rate, rss_kib)
        await driver.request("logout", "bye", timeout_s=30.0)
    finally:
        await driver.stop()
        await engine.disconnect(graceful=False)
    for row in (idle, load):
        row.details.update(logged_on_by_driver=ready["logged_on"], logon_seconds=logon_s)
    return [idle, load]


async def _run_all(settings: Sequence[Setting], step: Callable[[str], None]) -> list[LiveResult]:
    results: list[LiveResult] = [unavailable(SCENARIO, QUICKFIX, QUICKFIX_UNAVAILABLE)]
    with tempfile.TemporaryDirectory(prefix="pyfixmsg-plus-scale-") as scratch:
        for setting in settings:
            results += await _one_size(setting, step, Path(scratch))
    return results


def run_scale(
    sessions: Sequence[int] = DEFAULT_SESSIONS,
    hold_s: float = DEFAULT_HOLD_S,
    rate: float = DEFAULT_RATE,
    on_step: Callable[[str], None] | None = None,
    use_uvloop: bool | None = None,
) -> list[LiveResult]:
    """The QuickFIX row (unavailable, with the reason), then an idle and a load row per size in ``sessions``."""
    for name, value in (("sessions", min(sessions, default=0)), ("hold", hold_s), ("rate", rate)):
        if value <= 0:
            raise ValueError(f"scale: {name} = {value} must be positive")
    settings = [Setting(n, hold_s, rate) for n in sessions]
    return run_loop(_run_all(settings, on_step or (lambda _: None)), use_uvloop)
