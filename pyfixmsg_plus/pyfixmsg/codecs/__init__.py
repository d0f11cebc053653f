"""``pyfixmsg.codecs``: see :mod:`pyfixmsg_plus.pyfixmsg.codecs.stringfix`."""
