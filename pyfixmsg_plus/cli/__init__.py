"""The ``pyfixmsg-plus`` command line."""
