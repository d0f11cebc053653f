"""Entry point of the ``pyfixmsg-plus`` console script.

Each subcommand lives in its own module under :mod:`pyfixmsg_plus.cli` and exposes
``register(subparsers) -> None``, which adds its parser and sets ``func`` (called with the parsed arguments and
returning the exit status).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from pyfixmsg_plus import USING_EXTENSIONS, __version__

#: modules under pyfixmsg_plus.cli that contribute subcommands
SUBCOMMAND_MODULES: tuple[str, ...] = ("demo", "bench", "config", "query", "store", "acceptor", "initiator")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pyfixmsg-plus", description="A fast FIX protocol engine for Python."
    )
    impl = "compiled" if USING_EXTENSIONS else "pure Python"
    parser.add_argument("--version", action="version", version=f"pyfixmsg-plus {__version__} ({impl})")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(f"pyfixmsg_plus.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    return int(func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
