"""FIXT.1.1 sessions carrying FIX 5.0 SP2 application messages: our engine against QuickFIX C++ 1.15 (``qfpeer``).

Both directions: our initiator -> QuickFIX acceptor, QuickFIX initiator -> our acceptor, each with Logon (both
Logons carry DefaultApplVerID(1137)=9), orders answered by execution reports, and Logout. QuickFIX validates
with the FIXT11 transport and FIX50SP2 application dictionaries, read from ``../shared/spec`` (QuickFIX's own
files; Debian's libquickfix-dev ships none): the tests skip with a message when that directory is absent. Our
engine needs no files: it uses its built-in dictionaries. Also: what QuickFIX does with a FIXT.1.1 Logon
without DefaultApplVerID(1137), next to what our acceptor does with it.

Also our initiator against QuickFIX's Python binding (pip ``quickfix-ssl``) on FIXT.1.1, run in this process, with
the FIXT11.xml / FIX50SP2.xml its wheel installs.

Skipped, with the reason, when the peer cannot be built (no QuickFIX headers or compiler: run
scripts/install_quickfix.sh) or the binding is not importable. Every scenario is bounded
(interop_kit.SCENARIO_TIMEOUT_S) and stops its peer.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from interop_kit import OURS, QUICKFIX, assert_fills, clordids, run_scenario, sequence_numbers
from peer import QuickFixPeer, free_port, require_peer, skip_or_fail_unavailable

from pyfixmsg_plus.config import ConfigManager
from pyfixmsg_plus.engine import FixEngine
from pyfixmsg_plus.message.encoder import encode_message, format_utc_timestamp
from pyfixmsg_plus.message.parser_py import parse_pairs
from pyfixmsg_plus.testing import OrderFiller, RecordingApplication

FIXT11 = "FIXT.1.1"
#: DefaultApplVerID(1137) of both sides: 9 = FIX.5.0SP2 (QuickFIX's setting spells it FIX.5.0SP2)
FIX50SP2 = "9"
ORDERS = 200
#: how long a raw connection waits for QuickFIX's answer to a Logon, in seconds
RAW_ANSWER_TIMEOUT_S = 3.0


@pytest.fixture(scope="module")
def quickfix_peer() -> Path:
    return require_peer()


@pytest.fixture
def fixt_dictionaries(quickfix_peer: Path, shared_dir: Path) -> list[str]:
    """The C++ peer's options naming QuickFIX's FIXT11.xml and FIX50SP2.xml (skips without the peer or them)."""
    spec = shared_dir / "spec"
    transport, application = spec / "FIXT11.xml", spec / "FIX50SP2.xml"
    for path in (transport, application):
        if not path.is_file():
            pytest.skip(f"{path} is missing: the QuickFIX peer needs it for FIXT.1.1 validation")
    return ["--transport-dictionary", str(transport), "--app-dictionary", str(application),
            "--default-appl-ver-id", "FIX.5.0SP2"]  # fmt: skip


def fixt_config(connection: dict[str, Any]) -> ConfigManager:
    """Our FIXT.1.1 session PYFIX <-> QFIX with DefaultApplVerID 9 and the built-in dictionaries."""
    defaults = {"BeginString": FIXT11, "DefaultApplVerID": FIX50SP2, "StoreType": "memory", "HeartBtInt": 30,
                **connection}  # fmt: skip
    return ConfigManager.from_dict({"DEFAULT": defaults, "SESSION": [{"SenderCompID": OURS, "TargetCompID": QUICKFIX}]})


def our_fixt_initiator(port: int) -> ConfigManager:
    return fixt_config({"ConnectionType": "initiator", "SocketConnectHost": "127.0.0.1", "SocketConnectPort": port,
                        "ReconnectInterval": 0.2, "ReconnectMaxInterval": 1, "ReconnectJitter": 0})  # fmt: skip


def our_fixt_acceptor(port: int) -> ConfigManager:
    return fixt_config({"ConnectionType": "acceptor", "SocketAcceptHost": "127.0.0.1", "SocketAcceptPort": port})


def fixt_order(engine: Any, clordid: str) -> Any:
    """A FIX 5.0 SP2 NewOrderSingle (35=D): limit order to buy 100 EUR/USD at 1.0850, no ApplVerID(1128) (the
    counterparty takes our DefaultApplVerID)."""
    return engine.fixmsg({35: "D", 11: clordid, 55: "EUR/USD", 54: "1", 38: 100, 40: "2", 44: "1.085",
                          60: "20240603-12:00:00"})  # fmt: skip


def test_our_fixt_initiator_to_quickfix_acceptor(fixt_dictionaries: list[str]) -> None:
    async def scenario() -> None:
        app = RecordingApplication()
        async with (
            QuickFixPeer("acceptor", sender_comp_id=QUICKFIX, target_comp_id=OURS, begin_string=FIXT11,
                         data_dictionary=None, extra_args=fixt_dictionaries) as qf,
            await FixEngine.create(our_fixt_initiator(qf.port), app) as ours,
        ):  # fmt: skip
            assert await ours.wait_logged_on(10)
            await qf.await_event("logon", timeout_s=10)
            # QuickFIX's Logon answer carried its DefaultApplVerID(1137): remembered as the counterparty's
            assert ours.session.target_default_appl_ver_id == FIX50SP2
            for clordid in clordids("F", ORDERS):
                assert await ours.send_message(fixt_order(ours, clordid))
            reports = await app.wait_for_count(ORDERS, "8", timeout=30)
            assert_fills(reports, clordids("F", ORDERS))
            assert await ours.request_logoff(timeout=10)
            logout = await qf.await_event("logout", timeout_s=10)
            assert sequence_numbers(ours)[0] == logout["next_target_seq"]
        summary = qf.summary
        assert summary is not None
        assert (summary["orders_received"], summary["reports_sent"]) == (ORDERS, ORDERS)
        assert "3" not in summary["admin_received"] and "3" not in summary["admin_sent"]  # no Reject either way
        assert summary["admin_received"].get("5") == 1

    run_scenario(scenario())


def test_quickfix_fixt_initiator_to_our_acceptor(fixt_dictionaries: list[str]) -> None:
    async def scenario() -> None:
        app = OrderFiller()
        port = free_port()
        ours = await FixEngine.create(our_fixt_acceptor(port), app)
        app.bind(ours)
        await ours.open()
        qf = QuickFixPeer("initiator", sender_comp_id=QUICKFIX, target_comp_id=OURS, port=port, begin_string=FIXT11,
                          data_dictionary=None, orders=ORDERS, linger=True, extra_args=fixt_dictionaries)  # fmt: skip
        try:
            await qf.astart()
            assert await ours.wait_logged_on(10)
            assert ours.session.target_default_appl_ver_id == FIX50SP2
            done = await qf.await_event("work_done", timeout_s=60)
            assert done["complete"] is True
            await qf.astop()  # QuickFIX sends Logout(5); we answer it
            assert await ours.wait_disconnected(10)
        finally:
            await qf.astop()
            await ours.disconnect()
        assert app.fills == ORDERS
        assert [m[11] for m in app.received] == [f"C{n}" for n in range(1, ORDERS + 1)]
        summary = qf.summary
        assert summary is not None
        assert (summary["orders_sent"], summary["reports_received"]) == (ORDERS, ORDERS)
        assert "3" not in summary["admin_received"] and "3" not in summary["admin_sent"]
        assert summary["admin_received"].get("5") == 1  # our answer to its Logout

    run_scenario(scenario())


# ---------------------------------------------------------------- a Logon without DefaultApplVerID(1137)
def logon_without_default_appl_ver_id(sender: str, target: str) -> bytes:
    """A FIXT.1.1 Logon (35=A) from ``sender`` to ``target`` without DefaultApplVerID(1137)."""
    sending_time = format_utc_timestamp(time.time_ns(), "ms").decode()
    fields = [(35, "A"), (34, 1), (49, sender), (52, sending_time), (56, target), (98, 0), (108, 30)]
    return encode_message(FIXT11, fields)


def answer_to(port: int, frame: bytes) -> tuple[bytes, bool]:
    """What a server on ``port`` writes back to ``frame`` and whether it closed the connection (blocking)."""
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=RAW_ANSWER_TIMEOUT_S) as connection:
        connection.sendall(frame)
        try:
            while chunk := connection.recv(65536):
                received += chunk
        except TimeoutError:
            return received, False
    return received, True


def test_logon_without_default_appl_ver_id_quickfix_and_ours(fixt_dictionaries: list[str]) -> None:
    """QuickFIX finds "Required tag missing: 1137" and disconnects: its Reject is not sent while not logged on
    (its event log says so). Ours disconnects too, after a Logout whose Text names the missing tag."""
    with QuickFixPeer("acceptor", sender_comp_id=QUICKFIX, target_comp_id=OURS, begin_string=FIXT11,
                      data_dictionary=None, extra_args=fixt_dictionaries) as qf:  # fmt: skip
        theirs, closed = answer_to(qf.port, logon_without_default_appl_ver_id(OURS, QUICKFIX))
        assert closed and theirs == b""
        assert not qf.events("logon")

    async def ours_answers() -> tuple[bytes, bool]:
        port = free_port()
        async with await FixEngine.create(our_fixt_acceptor(port), RecordingApplication()):
            return await asyncio.to_thread(answer_to, port, logon_without_default_appl_ver_id(QUICKFIX, OURS))

    ours, closed = run_scenario(ours_answers())
    assert closed
    [logout] = [dict(parse_pairs(ours))]
    # "Invalid Logon: Required tag missing (1137)": the built-in FIXT.1.1 dictionary requires it in a Logon
    assert logout[35] == b"5" and b"Required tag missing" in logout[58] and b"1137" in logout[58]


# ---------------------------------------------------------------- QuickFIX's Python binding (pip quickfix-ssl)
def binding_dictionaries() -> tuple[Any, Path]:
    """The ``quickfix`` module of this interpreter and the directory of the FIXT11.xml / FIX50SP2.xml its wheel
    installs (``<sys.prefix>/share/quickfix``); skips (fails with $PYFIXMSG_PLUS_REQUIRE_INTEROP) without them."""
    try:
        import quickfix
    except ImportError as exc:
        skip_or_fail_unavailable(f"QuickFIX Python binding unavailable in this interpreter: {exc}")
    spec = Path(sys.prefix) / "share" / "quickfix"
    for name in ("FIXT11.xml", "FIX50SP2.xml"):
        if not (spec / name).is_file():
            skip_or_fail_unavailable(f"{spec / name} is missing: the binding's wheel installs it")
    return quickfix, spec


def binding_settings(fix: Any, port: int, spec: Path, directory: Path) -> Any:
    """A FIXT.1.1 acceptor QFIX <- PYFIX validating with FIXT11 and FIX50SP2 (QuickFIX's own key names), from a
    settings file written in ``directory`` (the binding reads a path, not a Python stream)."""
    text = "\n".join([
        "[DEFAULT]", "ConnectionType=acceptor", f"SocketAcceptPort={port}", "StartTime=00:00:00",
        "EndTime=00:00:00", "HeartBtInt=30", "UseDataDictionary=Y", f"TransportDataDictionary={spec / 'FIXT11.xml'}",
        f"AppDataDictionary={spec / 'FIX50SP2.xml'}", "DefaultApplVerID=FIX.5.0SP2", "AllowUnknownMsgFields=Y",
        "ValidateUserDefinedFields=N",
        "[SESSION]", f"BeginString={FIXT11}", f"SenderCompID={QUICKFIX}", f"TargetCompID={OURS}", "",
    ])  # fmt: skip
    path = directory / "fixt-acceptor.cfg"
    path.write_text(text)
    return fix.SessionSettings(str(path))


def binding_filler(fix: Any) -> Any:
    """A binding Application answering each NewOrderSingle (35=D) with a filled ExecutionReport (35=8)."""

    class Filler(fix.Application):
        def __init__(self) -> None:
            super().__init__()
            self.orders = 0
            self.rejects = 0
            self.logons: list[str] = []

        def onCreate(self, session_id: Any) -> None: ...
        def onLogon(self, session_id: Any) -> None:
            self.logons.append(session_id.toString())

        def onLogout(self, session_id: Any) -> None: ...
        def toAdmin(self, message: Any, session_id: Any) -> None: ...
        def toApp(self, message: Any, session_id: Any) -> None: ...
        def fromAdmin(self, message: Any, session_id: Any) -> None:
            if message.getHeader().getField(35) == "3":
                self.rejects += 1

        def fromApp(self, message: Any, session_id: Any) -> None:
            if message.getHeader().getField(35) != "D":
                return
            self.orders += 1
            report = fix.Message()
            report.getHeader().setField(fix.MsgType("8"))
            quantity = message.getField(38)
            for tag, value in ((37, f"O{self.orders}"), (11, message.getField(11)), (17, f"E{self.orders}"),
                               (150, "F"), (39, "2"), (55, message.getField(55)), (54, message.getField(54)),
                               (38, quantity), (32, quantity), (31, message.getField(44)), (151, "0"),
                               (14, quantity), (6, message.getField(44))):  # fmt: skip
                report.setField(tag, value)
            fix.Session.sendToTarget(report, session_id)

    return Filler()


def test_our_fixt_initiator_to_the_quickfix_python_binding(tmp_path: Path) -> None:
    """Our FIXT.1.1 initiator -> the binding's acceptor (in this process, on its own threads): Logon with
    DefaultApplVerID(1137)=9 both ways, orders filled by FIX 5.0 SP2 execution reports, Logout."""
    fix, spec = binding_dictionaries()
    port = free_port()
    app = binding_filler(fix)
    settings = binding_settings(fix, port, spec, tmp_path)
    acceptor = fix.SocketAcceptor(app, fix.MemoryStoreFactory(), settings, fix.ScreenLogFactory(False, False, False))
    acceptor.start()

    async def scenario() -> None:
        ours_app = RecordingApplication()
        try:
            async with await FixEngine.create(our_fixt_initiator(port), ours_app) as ours:
                assert await ours.wait_logged_on(10)
                assert ours.session.target_default_appl_ver_id == FIX50SP2
                for clordid in clordids("P", 50):
                    assert await ours.send_message(fixt_order(ours, clordid))
                assert_fills(await ours_app.wait_for_count(50, "8", timeout=20), clordids("P", 50))
                assert await ours.request_logoff(timeout=10)
        finally:
            await asyncio.to_thread(acceptor.stop)

    run_scenario(scenario())
    assert app.logons == [f"{FIXT11}:{QUICKFIX}->{OURS}"]
    assert (app.orders, app.rejects) == (50, 0)
