"""ClOrdID(11) generators of the original project: a numeric counter and a date-prefixed counter."""

from __future__ import annotations

import datetime
import itertools
import threading
from collections.abc import Callable


class ClOrdIdGenerator:
    """Base of the generators: ``next_id()`` gives a new ClOrdID(11) text, unique within the generator."""

    def next_id(self) -> str:
        raise NotImplementedError

    def __iter__(self) -> ClOrdIdGenerator:
        return self

    def __next__(self) -> str:
        return self.next_id()


class NumericClOrdIdGenerator(ClOrdIdGenerator):
    """``prefix`` + 1, 2, 3, ... (from ``start``); safe to share between threads."""

    def __init__(self, start: int = 1, prefix: str = "") -> None:
        if start < 0:
            raise ValueError(f"NumericClOrdIdGenerator start={start} must be >= 0")
        self.prefix = prefix
        self._counter = itertools.count(start)
        self._lock = threading.Lock()

    def next_id(self) -> str:
        with self._lock:
            return f"{self.prefix}{next(self._counter)}"


class YMDClOrdIdGenerator(ClOrdIdGenerator):
    """``prefix`` + ``YYYYMMDD`` + a 6-digit counter that restarts at 1 each (UTC) day: ``20240603000001``."""

    def __init__(self, prefix: str = "", today: Callable[[], datetime.date] | None = None) -> None:
        self.prefix = prefix
        self._today = today or (lambda: datetime.datetime.now(datetime.UTC).date())
        self._day: datetime.date | None = None
        self._count = 0
        self._lock = threading.Lock()

    def next_id(self) -> str:
        with self._lock:
            day = self._today()
            if day != self._day:
                self._day, self._count = day, 0
            self._count += 1
            return f"{self.prefix}{day:%Y%m%d}{self._count:06d}"


__all__ = ["ClOrdIdGenerator", "NumericClOrdIdGenerator", "YMDClOrdIdGenerator"]
