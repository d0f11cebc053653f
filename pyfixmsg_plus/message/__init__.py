"""The FIX message layer: framing, encoding, FixMessage, codec, dictionaries and validation."""

from pyfixmsg_plus.message.codec import Codec
from pyfixmsg_plus.message.fixmessage import (
    FixFragment,
    FixMessage,
    RepeatingGroup,
    RepeatingGroupFactory,
    len_and_chsum,
)

__all__ = ["Codec", "FixFragment", "FixMessage", "RepeatingGroup", "RepeatingGroupFactory", "len_and_chsum"]
