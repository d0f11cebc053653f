"""Errors raised by the message stores. Each names the file, session or sequence number at fault."""

from __future__ import annotations


class StoreError(Exception):
    """Base class of every message-store error."""


class StoreOpenError(StoreError):
    """The store file cannot be opened: missing directory, corrupted file, newer schema."""


class StoreCorruptError(StoreOpenError):
    """The store file is not an SQLite database, or its pages are damaged."""


class StoreLockedError(StoreError):
    """Another process holds the store file locked for longer than the configured busy timeout."""


class SequenceReuseError(StoreError):
    """An outbound sequence number was stored twice: FIX forbids reusing MsgSeqNum(34) within a session."""


class StoreFlushError(StoreError):
    """A batch of a write-behind or inbound writer could not be stored; raised to the next caller."""


class StoreClosedError(StoreError):
    """The store or writer was used after ``close()``."""
