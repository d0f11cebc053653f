"""``pyfixmsg.codecs.stringfix`` names, from :mod:`pyfixmsg_plus.message.codec`."""

from pyfixmsg_plus.message.codec import (
    DELIMITER,
    FIX_REGEX,
    FIX_REGEX_STRING,
    MICROSECONDS,
    MILLISECONDS,
    SEPARATOR,
    Codec,
)

__all__ = ["DELIMITER", "FIX_REGEX", "FIX_REGEX_STRING", "MICROSECONDS", "MILLISECONDS", "SEPARATOR", "Codec"]
