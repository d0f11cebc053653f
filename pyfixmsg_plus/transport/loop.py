"""Event-loop choice: uvloop when installed (faster sockets and TLS), the standard asyncio loop otherwise.

uvloop is optional (``pip install pyfixmsg-plus[uvloop]``). ``use_uvloop`` is True (require it), False (never)
or None (use it when importable).
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable, Coroutine
from types import ModuleType
from typing import Any, TypeVar

T = TypeVar("T")

UVLOOP = "uvloop"
ASYNCIO = "asyncio"


def _uvloop_module(use_uvloop: bool | None) -> ModuleType | None:
    if use_uvloop is False:
        return None
    try:
        return importlib.import_module("uvloop")
    except ImportError as exc:
        if use_uvloop:
            raise ImportError(
                "use_uvloop=True but uvloop is not installed: pip install 'pyfixmsg-plus[uvloop]', "
                "or set use_uvloop to false/None") from exc
        return None


def loop_factory(use_uvloop: bool | None = None) -> tuple[Callable[[], asyncio.AbstractEventLoop], str]:
    """A function making new event loops of the chosen kind, and that kind's name ("uvloop" or "asyncio").

    For ``asyncio.Runner(loop_factory=...)`` (or ``asyncio.run(..., loop_factory=...)`` on Python 3.12+).
    """
    uvloop = _uvloop_module(use_uvloop)
    if uvloop is None:
        return asyncio.new_event_loop, ASYNCIO
    return uvloop.new_event_loop, UVLOOP


def install_event_loop(use_uvloop: bool | None = None) -> str:
    """Make the chosen loop the default for later ``asyncio.run`` calls; returns "uvloop" or "asyncio".

    Installs an event-loop policy, which asyncio deprecates from Python 3.14 on; prefer :func:`run` there.
    """
    uvloop = _uvloop_module(use_uvloop)
    if uvloop is None:
        asyncio.set_event_loop_policy(None)
        return ASYNCIO
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return UVLOOP


def run(main: Coroutine[Any, Any, T], use_uvloop: bool | None = None) -> T:
    """Run ``main`` to completion in a new loop of the chosen kind, like ``asyncio.run``; returns its result.
    """
    factory, _ = loop_factory(use_uvloop)
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)


def loop_name(loop: asyncio.AbstractEventLoop | None = None) -> str:
    """"uvloop" or "asyncio": the kind of ``loop`` (the running loop when None)."""
    loop = loop or asyncio.get_running_loop()
    return UVLOOP if type(loop).__module__.startswith("uvloop") else ASYNCIO
