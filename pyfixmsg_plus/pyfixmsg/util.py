"""``pyfixmsg.util`` names, from :mod:`pyfixmsg_plus.message.util`."""

from pyfixmsg_plus.message.util import DATEFORMAT, int_or_str, native_str, utc_timestamp

__all__ = ["DATEFORMAT", "int_or_str", "native_str", "utc_timestamp"]
