"""The session package is sans-I/O: importing it loads no asyncio, socket or store module."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
import pyfixmsg_plus.session, pyfixmsg_plus.session.core, pyfixmsg_plus.session.registry
io = ("asyncio", "socket", "selectors", "ssl")
bad = sorted(m for m in sys.modules if m in io or m.startswith(("asyncio.", "pyfixmsg_plus.store")))
print(",".join(bad))
"""


def test_session_imports_no_io_module() -> None:
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"the session package imported {result.stdout.strip()}"
