"""Asyncio transports: they move bytes between sockets and a :class:`Receiver`, and know nothing of FIX.

* :class:`Acceptor` listens (IPv4 and IPv6, TLS optional) and serves many connections;
* :class:`Initiator` connects to the first reachable of several targets and reconnects with :class:`Backoff`;
* :class:`Connection` is one open stream with bounded write buffering (:class:`FlowControl`);
* :mod:`.tls` builds the SSL contexts, :mod:`.loop` picks uvloop when installed.
"""

from pyfixmsg_plus.transport.acceptor import Acceptor
from pyfixmsg_plus.transport.backoff import Backoff
from pyfixmsg_plus.transport.connection import (
    Connection,
    ConnectionClosed,
    FlowControl,
    Receiver,
    TransportError,
    WriteBufferOverflow,
)
from pyfixmsg_plus.transport.initiator import ConnectFailed, Initiator, ReconnectGaveUp
from pyfixmsg_plus.transport.loop import install_event_loop, loop_factory, loop_name, run
from pyfixmsg_plus.transport.tls import ClientCertMode, TLSConfigError, client_context, server_context

__all__ = [
    "Acceptor",
    "Backoff",
    "ClientCertMode",
    "ConnectFailed",
    "Connection",
    "ConnectionClosed",
    "FlowControl",
    "Initiator",
    "Receiver",
    "ReconnectGaveUp",
    "TLSConfigError",
    "TransportError",
    "WriteBufferOverflow",
    "client_context",
    "install_event_loop",
    "loop_factory",
    "loop_name",
    "run",
    "server_context",
]
