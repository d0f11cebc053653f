"""``from pyfixmsg_plus.fixengine.engine import FixEngine``: the original import path."""

from pyfixmsg_plus.engine import FixEngine

__all__ = ["FixEngine"]
