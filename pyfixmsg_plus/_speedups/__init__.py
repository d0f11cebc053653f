"""Compiled hot paths (built from the top-level ``_speedups/`` Cython sources). Never import directly:
``pyfixmsg_plus._impl`` chooses between these modules and their pure-Python twins."""
