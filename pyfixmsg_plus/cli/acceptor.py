"""``pyfixmsg-plus acceptor -c cfg [--app module:Class | --app echo]``: serve the configured acceptor sessions.

Runs until interrupted (Ctrl-C or SIGTERM), then logs every session out and stops. ``--app echo`` is the
application of QuickFIX's acceptance tests (see ``pyfixmsg_plus.engine.echo``); ``module:Class`` names any
:class:`~pyfixmsg_plus.application.Application` subclass, built without arguments (a ``bind(engine)`` method,
when it has one, receives the engine).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import signal
import sys
from typing import Any

from pyfixmsg_plus.application import Application
from pyfixmsg_plus.cli._engine_args import add_common, load_config, setup_logging
from pyfixmsg_plus.config import ConfigManager
from pyfixmsg_plus.engine import FixEngine
from pyfixmsg_plus.engine.echo import EchoApplication
from pyfixmsg_plus.transport import loop


def load_application(spec: str) -> Application:
    """``echo`` or ``package.module:ClassName`` as an application instance; ValueError naming what failed."""
    if spec == "echo":
        return EchoApplication()
    module_name, sep, class_name = spec.partition(":")
    if not sep or not module_name or not class_name:
        raise ValueError(f"--app {spec!r}: expected 'echo' or 'module:Class'")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"--app {spec!r}: cannot load {class_name} from {module_name}: {exc}") from exc
    app = cls()
    if not isinstance(app, Application):
        raise ValueError(f"--app {spec!r}: {class_name} is not a pyfixmsg_plus.application.Application")
    return app


async def serve(config: ConfigManager, app: Application, stop: asyncio.Event | None = None,
                ready: asyncio.Event | None = None, **options: Any) -> FixEngine:
    """Run an engine for ``config`` until ``stop`` is set (or SIGINT/SIGTERM), then stop it; returns it.

    ``ready`` is set once the engine listens."""
    engine = await FixEngine.create(config, app, **options)
    bind = getattr(app, "bind", None)
    if callable(bind):
        bind(engine)
    stop = stop or asyncio.Event()
    running = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            running.add_signal_handler(signum, stop.set)
    await engine.open()
    if ready is not None:
        ready.set()
    try:
        await stop.wait()
    finally:
        await engine.disconnect(graceful=True, timeout=5.0)
    return engine


def _command(args: argparse.Namespace) -> int:
    setup_logging(args)
    config = load_config(args.config)
    if config is None:
        return 2
    try:
        app = load_application(args.app)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # echo answers each order before the frames that follow it, as QuickFIX's acceptance tests expect
    options = {"deliver_per_frame": args.app == "echo"}
    use_uvloop = config.engine_settings().use_uvloop
    loop.run(serve(config, app, **options), use_uvloop=None if use_uvloop else False)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("acceptor", help="serve the configured acceptor sessions until interrupted")
    add_common(parser)
    parser.add_argument("--app", default="echo", help="'echo' (default) or module:Class of an Application")
    parser.set_defaults(func=_command)
