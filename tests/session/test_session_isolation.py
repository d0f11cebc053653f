"""The session package is sans-I/O: importing it loads no asyncio, socket or store module."""

from __future__ import annotations

import subprocess
import sys

# only what the import itself loads counts: a coverage run started in the child may have loaded socket already
CHECK = """
import sys
before = set(sys.modules)
import pyfixmsg_plus.session, pyfixmsg_plus.session.core, pyfixmsg_plus.session.registry
io = ("asyncio", "socket", "selectors", "ssl")
loaded = set(sys.modules) - before
bad = sorted(m for m in loaded if m in io or m.startswith(("asyncio.", "pyfixmsg_plus.store")))
print(",".join(bad))
"""


def test_session_imports_no_io_module() -> None:
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"the session package imported {result.stdout.strip()}"
