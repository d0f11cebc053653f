"""pyfixmsg-plus: a fast FIX protocol engine for Python.

Compiled hot paths (framing, checksum, parsing, encoding) with pure-Python twins; see :mod:`pyfixmsg_plus._impl`
for how one is chosen. ``USING_EXTENSIONS`` tells whether the compiled modules are live.
"""

from pyfixmsg_plus._impl import USING_EXTENSIONS
from pyfixmsg_plus._version import __version__

__all__ = ["USING_EXTENSIONS", "__version__"]
