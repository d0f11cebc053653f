"""``from pyfixmsg_plus.fixengine.application import Application``: an import path of the original's examples."""

from pyfixmsg_plus.application import Application, DoNotSend, handles

__all__ = ["Application", "DoNotSend", "handles"]
