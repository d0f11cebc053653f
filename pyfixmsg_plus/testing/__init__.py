"""Test tools for users of pyfixmsg-plus (see docs/testing.md).

* :func:`loopback_pair`: an acceptor and an initiator engine in this process, logged on over 127.0.0.1;
  :class:`RecordingApplication` keeps what they receive, :class:`OrderFiller` answers orders with fills;
* :class:`MockCounterparty`: a scripted counterparty (expect this, answer that) over loopback or sans-I/O;
* :class:`MessageFactory`: valid messages of any type of a dictionary, fixed or random (hypothesis strategies);
* :func:`assert_valid`, :func:`assert_fields`: assertions with a field-by-field report;
* ``pyfixmsg_plus.testing.conformance``: QuickFIX's session acceptance scripts against the sans-I/O session.
"""

from pyfixmsg_plus.testing.assertions import (
    assert_fields,
    assert_valid,
    field_differences,
    validation_errors,
)
from pyfixmsg_plus.testing.factories import MessageFactory
from pyfixmsg_plus.testing.loopback import (
    LoopbackPair,
    OrderFiller,
    RecordingApplication,
    fill_for,
    loopback_pair,
    pair_configs,
)
from pyfixmsg_plus.testing.mock_counterparty import (
    Expectation,
    MockCounterparty,
    MockServer,
    ScriptedSession,
)

__all__ = [
    "Expectation",
    "LoopbackPair",
    "MessageFactory",
    "MockCounterparty",
    "MockServer",
    "OrderFiller",
    "RecordingApplication",
    "ScriptedSession",
    "assert_fields",
    "assert_valid",
    "field_differences",
    "fill_for",
    "loopback_pair",
    "pair_configs",
    "validation_errors",
]
