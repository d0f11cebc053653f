"""Test tools for users of pyfixmsg-plus: the session conformance runner
(``pyfixmsg_plus.testing.conformance``).
"""
