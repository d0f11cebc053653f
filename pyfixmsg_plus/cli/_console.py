"""The rich console the CLI prints with."""

from __future__ import annotations

from rich.console import Console

#: columns used when the output is not a terminal (a pipe or a log file): tables read better unwrapped there
PIPE_WIDTH = 260


def make_console(*, stderr: bool = False) -> Console:
    """A console for the CLI: the terminal's width on a terminal, :data:`PIPE_WIDTH` columns elsewhere."""
    console = Console(stderr=stderr)
    if not console.is_terminal:
        console = Console(stderr=stderr, width=PIPE_WIDTH)
    return console
