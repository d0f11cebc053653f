"""``pyfixmsg.fixmessage`` names, from :mod:`pyfixmsg_plus.message.fixmessage`."""

from pyfixmsg_plus.message.fixmessage import (
    GTD_EXPIRE_DATE_TAG,
    TAGS_AS_DATE,
    TAGS_AS_DECIMAL,
    FixFragment,
    FixMessage,
    RepeatingGroup,
    len_and_chsum,
)

__all__ = [
    "GTD_EXPIRE_DATE_TAG",
    "TAGS_AS_DATE",
    "TAGS_AS_DECIMAL",
    "FixFragment",
    "FixMessage",
    "RepeatingGroup",
    "len_and_chsum",
]
