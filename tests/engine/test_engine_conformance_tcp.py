"""QuickFIX's FIX 4.4 acceptance scripts over real TCP against the acceptor ``pyfixmsg-plus acceptor --app
echo`` starts: the pass count must equal the sans-I/O run's (skipped without ../shared)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from engine_kit import free_port, run_bounded
from engine_tcp_scripts import play

from pyfixmsg_plus.cli.acceptor import load_application, serve
from pyfixmsg_plus.config import ConfigManager
from pyfixmsg_plus.testing import conformance

#: scripts played at once (each against its own acceptor on its own port)
PARALLEL = 12


def echo_acceptor_config(port: int) -> ConfigManager:
    """The acceptor the scripts expect (conformance/README.md): ISLD serving TW44, TW, NO_CHECK_FIELDS_HAVE_VALUES."""
    sessions = [{"TargetCompID": t} for t in ("TW44", "TW")]
    sessions.append({"TargetCompID": "NO_CHECK_FIELDS_HAVE_VALUES", "ValidateFieldsHaveValues": "N"})
    return ConfigManager.from_dict({
        "DEFAULT": {"ConnectionType": "acceptor", "SenderCompID": "ISLD", "SocketAcceptHost": "127.0.0.1",
                    "SocketAcceptPort": port, "BeginString": "FIX.4.4", "ResetOnLogon": "Y",
                    "StoreType": "memory", "HeartBtInt": 30},
        "SESSION": sessions,
    })


async def _one(path: Path, patterns: dict[int, Any], gate: asyncio.Semaphore) -> str | None:
    async with gate:
        port = free_port()
        stop, ready = asyncio.Event(), asyncio.Event()
        server = asyncio.create_task(serve(echo_acceptor_config(port), load_application("echo"), stop, ready,
                                           deliver_per_frame=True))
        await asyncio.wait([server, asyncio.create_task(ready.wait())], return_when=asyncio.FIRST_COMPLETED)
        if server.done():
            server.result()
        try:
            return await play(path, port, patterns)
        finally:
            stop.set()
            await server


async def _all(scripts: list[Path], patterns: dict[int, Any]) -> dict[str, str | None]:
    gate = asyncio.Semaphore(PARALLEL)
    results = await asyncio.gather(*(_one(p, patterns, gate) for p in scripts))
    return {p.name: r for p, r in zip(scripts, results, strict=True)}


def test_acceptance_scripts_over_tcp_match_sans_io_pass_count(shared_dir: Path) -> None:
    directory = Path(shared_dir) / "conformance" / "quickfix" / "fix44"
    scripts = sorted(directory.glob("*.def"))
    sans_io = conformance.run_directory(directory)
    sans_io_passed = {r.name for r in sans_io if r.passed}
    outcome = run_bounded(_all(scripts, conformance.load_patterns(directory)), timeout=240)
    failures = {name: why for name, why in outcome.items() if why is not None}
    tcp_passed = set(outcome) - set(failures)
    detail = "\n".join(f"{name}: {why}" for name, why in sorted(failures.items()))
    assert tcp_passed == sans_io_passed, detail
