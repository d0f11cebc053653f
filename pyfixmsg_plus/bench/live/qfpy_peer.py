"""QuickFIX's Python binding (pip ``quickfix-ssl``, ``import quickfix``) as a FIX 4.4 counterparty: one process,
one session, the Python twin of the C++ ``qfpeer`` (tests/interop/peer/) with the same options and events.

    python qfpy_peer.py --mode acceptor|initiator --port P --sender S --target T [--dictionary FIX44.xml]
        [--heartbeat 30] [--orders N [--round-trip --latency-file F]] [--skip-seq-at K --skip-count M]
        [--store-dir D] [--reset-on-logon] [--linger] [--work-timeout S] [--logon-timeout S]

The application is what a user of the binding writes, in Python: ``fromApp`` answers each NewOrderSingle (35=D)
with a filled ExecutionReport (35=8), counts ExecutionReports and MarketDataIncrementalRefresh (35=X). The
binding's socket thread calls it holding the GIL; the main thread sends orders (an initiator given ``--orders``)
and waits for SIGTERM (everything else). Events are ``QFPY {json}`` lines on stdout: ``started``, ``logon``,
``logout``, ``skipped_seq``, ``work_done``, ``error`` and, at exit, ``summary`` (the C++ peer's keys; times in
seconds, latencies in nanoseconds).

This file imports only the standard library and ``quickfix``, so it runs under any interpreter that has the
binding (see :mod:`pyfixmsg_plus.bench.live.qfpy_harness`). Exit codes: 0 done, 1 workload incomplete, 2 no logon,
3 the binding cannot be imported.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

EVENT_PREFIX = "QFPY "
_print_lock = threading.Lock()


def emit(event: str, **fields: Any) -> None:
    """One ``QFPY {json}`` line on stdout (the binding's thread and the main thread both report)."""
    line = EVENT_PREFIX + json.dumps({"event": event, **fields})
    with _print_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


try:
    import quickfix as fix
    import quickfix44 as fix44
except ImportError as exc:  # reported as an event so the harness can say why
    fix = fix44 = None
    _IMPORT_ERROR: str = str(exc)
else:
    _IMPORT_ERROR = ""


def parse_options(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="QuickFIX Python binding peer (one FIX 4.4 session)")
    parser.add_argument("--mode", choices=("acceptor", "initiator"), required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--sender", required=True, help="SenderCompID(49) of this peer")
    parser.add_argument("--target", required=True, help="TargetCompID(56) of the other side")
    parser.add_argument("--begin-string", default="FIX.4.4")
    parser.add_argument("--dictionary", default="", help="QuickFIX XML data dictionary; none: UseDataDictionary=N")
    parser.add_argument("--heartbeat", type=int, default=30, help="HeartBtInt(108), seconds")
    parser.add_argument("--orders", type=int, default=0, help="initiator: NewOrderSingles to send")
    parser.add_argument("--round-trip", action="store_true", help="send each order after the previous report")
    parser.add_argument("--latency-file", default="", help="round trip: one latency per line, nanoseconds")
    parser.add_argument("--skip-seq-at", type=int, default=0, help="skip outgoing MsgSeqNum(34) once at K")
    parser.add_argument("--skip-count", type=int, default=1, help="numbers skipped at K")
    parser.add_argument("--store-dir", default="", help="QuickFIX FileStore directory (default: memory store)")
    parser.add_argument("--reset-on-logon", action="store_true")
    parser.add_argument("--linger", action="store_true", help="initiator: stay logged on after the workload")
    parser.add_argument("--work-timeout", type=float, default=120.0, help="seconds for the workload")
    parser.add_argument("--logon-timeout", type=float, default=30.0, help="seconds for the initiator's logon")
    return parser.parse_args(argv)


def settings_text(o: argparse.Namespace, store_dir: str) -> str:
    """The session settings file, with QuickFIX's own key names (the same values as the C++ peer's)."""
    defaults = {
        "ConnectionType": o.mode,
        "StartTime": "00:00:00",  # StartTime == EndTime: a session that never ends
        "EndTime": "00:00:00",
        "HeartBtInt": str(o.heartbeat),
        "SocketNodelay": "Y",
        "ReconnectInterval": "1",
        "ResetOnLogon": "Y" if o.reset_on_logon else "N",
        "TimestampPrecision": "6",
        "UseDataDictionary": "Y" if o.dictionary else "N",
    }
    if o.dictionary:
        # check what the dictionary declares; let the counterparty's other standard and user-defined tags through
        defaults |= {"DataDictionary": o.dictionary, "AllowUnknownMsgFields": "Y", "ValidateUserDefinedFields": "N"}
    if store_dir:
        defaults["FileStorePath"] = store_dir
    if o.mode == "acceptor":
        defaults["SocketAcceptPort"] = str(o.port)
    else:
        defaults |= {"SocketConnectHost": o.host, "SocketConnectPort": str(o.port)}
    session = {"BeginString": o.begin_string, "SenderCompID": o.sender, "TargetCompID": o.target}
    lines = ["[DEFAULT]", *(f"{k}={v}" for k, v in defaults.items()), "[SESSION]"]
    return "\n".join([*lines, *(f"{k}={v}" for k, v in session.items())]) + "\n"


class PeerApplication(fix.Application if fix is not None else object):  # type: ignore[misc]
    """Fills every NewOrderSingle, counts reports and market data, and reports session events."""

    def __init__(self, options: argparse.Namespace) -> None:
        super().__init__()
        self.options = options
        self.session_id: Any = None
        self.logged_on = threading.Event()
        self.logged_out = threading.Event()
        self.report_arrived = threading.Event()
        self.all_reports = threading.Event()
        self.counts: Counter[str] = Counter()
        self.admin_sent: Counter[str] = Counter()
        self.admin_received: Counter[str] = Counter()
        self.first_app_ns = 0
        self.last_app_ns = 0
        self.last_report_ns = 0
        self._next_exec_id = 0
        self._skipped = False

    # --- session events -----------------------------------------------------------------------------------------

    def onCreate(self, sessionID: Any) -> None:
        self.session_id = sessionID

    def onLogon(self, sessionID: Any) -> None:
        self.logged_on.set()
        emit("logon", session=sessionID.toString(), **self.sequence_numbers())

    def onLogout(self, sessionID: Any) -> None:
        # QuickFIX calls onLogout on every disconnect, also one that never logged on: report only real logouts
        if not self.logged_on.is_set():
            return
        self.logged_on.clear()
        self.logged_out.set()
        emit("logout", session=sessionID.toString(), **self.sequence_numbers())

    def toAdmin(self, message: Any, sessionID: Any) -> None:
        self.admin_sent[message.getHeader().getField(35)] += 1

    def fromAdmin(self, message: Any, sessionID: Any) -> None:
        self.admin_received[message.getHeader().getField(35)] += 1

    def toApp(self, message: Any, sessionID: Any) -> None:
        pass

    # --- application messages (the measured Python callback) ---------------------------------------------------

    def fromApp(self, message: Any, sessionID: Any) -> None:
        self._mark_app_traffic()
        msg_type = message.getHeader().getField(35)
        if msg_type == "D":
            self.answer_order(message)
        elif msg_type == "8":
            self.last_report_ns = time.perf_counter_ns()
            self.counts["reports_received"] += 1
            self.report_arrived.set()
            if self.options.orders and self.counts["reports_received"] >= self.options.orders:
                self.all_reports.set()
        elif msg_type == "X":
            self.counts["md_received"] += 1
        else:
            self.counts["other_app_received"] += 1

    def answer_order(self, order: Any) -> None:
        """NewOrderSingle(D) -> ExecutionReport(8), ExecType(150)=F, OrdStatus(39)=2: the whole OrderQty(38)
        fills at Price(44), or 0 without one. A missing required field raises FieldNotFound, which QuickFIX
        answers with a Reject(3)."""
        self.counts["orders_received"] += 1
        quantity = order.getField(38)
        price = order.getField(44) if order.isSetField(44) else "0"
        self._next_exec_id += 1
        exec_id = str(self._next_exec_id)
        report = fix44.ExecutionReport()
        for tag, value in ((37, "O" + exec_id), (17, "E" + exec_id), (150, "F"), (39, "2"),
                           (11, order.getField(11)), (55, order.getField(55)), (54, order.getField(54)),
                           (38, quantity), (32, quantity), (31, price), (14, quantity), (6, price),
                           (151, "0")):  # fmt: skip
            report.setField(tag, value)
        if self.send(report):
            self.counts["reports_sent"] += 1

    # --- sending ------------------------------------------------------------------------------------------------

    def send(self, message: Any) -> bool:
        """``sendToTarget`` on our session, first skipping sequence numbers when --skip-seq-at says so."""
        self._skip_sequence_numbers_once()
        self._mark_app_traffic()
        return bool(fix.Session.sendToTarget(message, self.session_id))

    def _skip_sequence_numbers_once(self) -> None:
        # --skip-seq-at K: the first time the next outgoing MsgSeqNum(34) is K or more it jumps by --skip-count,
        # so the other side sees a gap and sends a ResendRequest(2), answered with SequenceReset-GapFill(4, 123=Y)
        # for the numbers never stored (FileStore: QuickFIX 1.15's MemoryStore cannot read a range that starts at
        # a missing number, see main()).
        if self.options.skip_seq_at <= 0 or self._skipped:
            return
        session = fix.Session.lookupSession(self.session_id)
        if session is None:
            return
        following = session.getExpectedSenderNum()
        if following < self.options.skip_seq_at:
            return
        self._skipped = True
        session.setNextSenderMsgSeqNum(following + self.options.skip_count)
        emit("skipped_seq", **{"from": following, "to": following + self.options.skip_count})

    def _mark_app_traffic(self) -> None:
        now = time.perf_counter_ns()
        if not self.first_app_ns:
            self.first_app_ns = now
        self.last_app_ns = now

    def sequence_numbers(self) -> dict[str, int]:
        """next_sender_seq / next_target_seq of the session (empty before it exists)."""
        session = fix.Session.lookupSession(self.session_id) if self.session_id is not None else None
        if session is None:
            return {}
        return {"next_sender_seq": session.getExpectedSenderNum(), "next_target_seq": session.getExpectedTargetNum()}


def make_order(index: int) -> Any:
    """A FIX 4.4 limit NewOrderSingle number ``index`` (ClOrdID ``C<index>``), as the C++ peer builds it."""
    order = fix44.NewOrderSingle()
    for field in (fix.ClOrdID(f"C{index}"), fix.Side(fix.Side_SELL if index % 2 else fix.Side_BUY),
                  fix.TransactTime(), fix.OrdType(fix.OrdType_LIMIT), fix.Symbol("EUR/USD"),
                  fix.OrderQty(100 + index % 900), fix.Price(1.1 + (index % 100) / 10000.0),
                  fix.TimeInForce(fix.TimeInForce_DAY)):  # fmt: skip
        order.setField(field)
    return order


class Workload:
    """The initiator's orders, sent from the main thread while the binding's thread delivers the reports."""

    def __init__(self, app: PeerApplication, options: argparse.Namespace, stop: threading.Event) -> None:
        self.app, self.options, self.stop = app, options, stop
        self.latencies_ns: list[int] = []

    def run(self) -> bool:
        complete = self.one_at_a_time() if self.options.round_trip else self.as_fast_as_possible()
        if self.options.latency_file:
            Path(self.options.latency_file).write_text("".join(f"{ns}\n" for ns in self.latencies_ns))
        emit("work_done", complete=complete)
        return complete

    def as_fast_as_possible(self) -> bool:
        for index in range(1, self.options.orders + 1):
            if self.stop.is_set():
                return False
            if self.app.send(make_order(index)):
                self.app.counts["orders_sent"] += 1
        return self._wait(self.app.all_reports, self.options.work_timeout)

    def one_at_a_time(self) -> bool:
        """Each order waits for its report; latency = the report's arrival in fromApp - just before the send."""
        deadline = time.monotonic() + self.options.work_timeout
        for index in range(1, self.options.orders + 1):
            order = make_order(index)
            self.app.report_arrived.clear()
            sent_ns = time.perf_counter_ns()
            if not self.app.send(order):
                return False
            self.app.counts["orders_sent"] += 1
            if not self._wait(self.app.report_arrived, deadline - time.monotonic()):
                return False
            self.latencies_ns.append(self.app.last_report_ns - sent_ns)
        return True

    def _wait(self, event: threading.Event, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while not event.wait(0.05):
            if self.stop.is_set() or time.monotonic() > deadline:
                return False
        return True


def summary(app: PeerApplication, options: argparse.Namespace, complete: bool, latencies_ns: list[int]) -> None:
    """The exit summary: counters, elapsed_s between the first and the last application message either way, and
    messages_per_s of application messages both ways over it."""
    c = app.counts
    elapsed_s = (app.last_app_ns - app.first_app_ns) / 1e9
    app_sent = c["orders_sent"] + c["reports_sent"]
    app_received = c["orders_received"] + c["reports_received"] + c["md_received"] + c["other_app_received"]
    fields: dict[str, Any] = {
        "mode": options.mode, "app_sent": app_sent, "app_received": app_received,
        **{name: c[name] for name in ("orders_sent", "reports_received", "orders_received", "reports_sent",
                                      "md_received")},
        "admin_sent": dict(app.admin_sent), "admin_received": dict(app.admin_received),
        "elapsed_s": elapsed_s, "messages_per_s": (app_sent + app_received) / elapsed_s if elapsed_s > 0 else 0.0,
        "work_complete": complete, **app.sequence_numbers(),
    }  # fmt: skip
    if latencies_ns:
        ordered = sorted(latencies_ns)
        at = lambda q: ordered[int(q * (len(ordered) - 1))]  # noqa: E731
        fields["latency_ns"] = {"count": len(ordered), "p50": at(0.5), "p99": at(0.99), "max": ordered[-1]}
    emit("summary", **fields)


def wait_until(event: threading.Event, stop: threading.Event, timeout_s: float) -> bool:
    """Waits for ``event``; False when stopped or (timeout_s > 0) out of time. Short waits: SIGTERM must land."""
    deadline = time.monotonic() + timeout_s
    while not event.wait(0.05):
        if stop.is_set() or (timeout_s > 0 and time.monotonic() > deadline):
            return False
    return True


def run(options: argparse.Namespace, store_dir: str, stop: threading.Event) -> int:
    with tempfile.NamedTemporaryFile("w", suffix=".cfg", prefix="qfpy-", delete=False) as cfg:
        cfg.write(settings_text(options, store_dir))
    settings = fix.SessionSettings(cfg.name)
    Path(cfg.name).unlink()
    app = PeerApplication(options)
    store = fix.FileStoreFactory(settings) if store_dir else fix.MemoryStoreFactory()
    kind = fix.SocketAcceptor if options.mode == "acceptor" else fix.SocketInitiator
    engine = kind(app, store, settings)
    engine.start()  # an acceptor has bound its port once start() returns
    emit("started", mode=options.mode, port=options.port)
    complete, code, workload = True, 0, Workload(app, options, stop)
    if options.mode == "initiator":
        if not wait_until(app.logged_on, stop, options.logon_timeout):
            emit("error", reason=f"no logon within --logon-timeout {options.logon_timeout} s")
            complete, code = False, 2
        elif options.orders:
            complete = workload.run()
            code = 0 if complete else 1
    if code != 2 and (options.mode == "acceptor" or options.linger or not options.orders):
        wait_until(stop, stop, 0)
    engine.stop()  # sends Logout(5) and waits for the answer (LogoutTimeout) before closing
    summary(app, options, complete, workload.latencies_ns)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_options(argv)
    if fix is None:
        emit("error", reason=f"the QuickFIX Python binding cannot be imported: {_IMPORT_ERROR}")
        return 3
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    if options.store_dir or not options.skip_seq_at:
        return run(options, options.store_dir, stop)
    # a forced gap needs a store that reads ranges starting at a missing number: QuickFIX's FileStore
    with tempfile.TemporaryDirectory(prefix="qfpy-store-") as store_dir:
        return run(options, store_dir, stop)


if __name__ == "__main__":
    sys.exit(main())
