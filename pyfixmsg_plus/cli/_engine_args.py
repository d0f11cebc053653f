"""Options shared by the ``acceptor`` and ``initiator`` commands: config file, logging, uvloop."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time

from pyfixmsg_plus.config import ConfigError, ConfigManager


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (ISO 8601, UTC), level, logger, message."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def add_common(parser: argparse.ArgumentParser) -> None:
    """``-c/--config``, ``--log-level``, ``--log-json``."""
    parser.add_argument("-c", "--config", required=True, help="INI configuration file")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                        help="logging level (default INFO)")
    parser.add_argument("--log-json", action="store_true", help="log one JSON object a line")


def setup_logging(args: argparse.Namespace) -> None:
    """Log to standard error at the chosen level, as text or JSON."""
    handler = logging.StreamHandler(sys.stderr)
    if args.log_json:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=getattr(logging, args.log_level), handlers=[handler], force=True)


def load_config(path: str) -> ConfigManager | None:
    """The configuration, or None after printing the one-paragraph error."""
    try:
        return ConfigManager(path)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
