"""pyfixmsg-plus: a fast FIX protocol engine for Python.

Compiled hot paths (framing, checksum, parsing, encoding) with pure-Python twins; see :mod:`pyfixmsg_plus._impl`
for how one is chosen. ``USING_EXTENSIONS`` tells whether the compiled modules are live.

The public classes are imported on first use, so that ``import pyfixmsg_plus`` stays cheap for users of the
message layer alone.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pyfixmsg_plus._impl import USING_EXTENSIONS
from pyfixmsg_plus._version import __version__

if TYPE_CHECKING:
    from pyfixmsg_plus.application import Application
    from pyfixmsg_plus.config import ConfigManager
    from pyfixmsg_plus.engine import FixEngine
    from pyfixmsg_plus.message.codec import Codec
    from pyfixmsg_plus.message.fixmessage import FixMessage

#: public name -> module that defines it
_LAZY = {
    "Application": "pyfixmsg_plus.application",
    "ConfigManager": "pyfixmsg_plus.config",
    "FixEngine": "pyfixmsg_plus.engine",
    "Codec": "pyfixmsg_plus.message.codec",
    "FixMessage": "pyfixmsg_plus.message.fixmessage",
}

__all__ = ["USING_EXTENSIONS", "Application", "Codec", "ConfigManager", "FixEngine", "FixMessage", "__version__"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pyfixmsg_plus' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
