"""Message stores: the contract, the memory / sqlite3 / aiosqlite backends, persistence modes and the factory.

See ``docs/stores.md``. Typical use by an engine::

    store = await open_store("aiosqlite", "fix_state.db")
    writer = make_writer("group", store, SessionKey("FIX.4.4", "SENDER", "TARGET"))
    state = await writer.recover()          # state.resume_sender_seqnum, state.possibly_lost
    await writer.before_send(records); transport.write(...); writer.after_send(records)
"""

from pyfixmsg_plus.store.aiosqlite_store import AioSQLiteStore
from pyfixmsg_plus.store.batching import BatchSettings
from pyfixmsg_plus.store.contract import (
    Direction,
    FrameRecord,
    MessageQuery,
    MessageStore,
    ReplayFrame,
    SequenceState,
    SessionKey,
    StoredMessage,
    new_record,
)
from pyfixmsg_plus.store.errors import (
    SequenceReuseError,
    StoreClosedError,
    StoreCorruptError,
    StoreError,
    StoreFlushError,
    StoreLockedError,
    StoreOpenError,
)
from pyfixmsg_plus.store.factory import STORE_TYPES, MessageStoreFactory, open_store
from pyfixmsg_plus.store.memory import MemoryStore
from pyfixmsg_plus.store.persistence import (
    GroupCommitWriter,
    InboundWriter,
    OutboundWriter,
    PersistenceMode,
    SyncWriter,
    WriteBehindWriter,
    make_writer,
)
from pyfixmsg_plus.store.sequence_only import SequenceOnlyStore
from pyfixmsg_plus.store.sqlite_store import SQLiteStore

__all__ = [
    "STORE_TYPES",
    "AioSQLiteStore",
    "BatchSettings",
    "Direction",
    "FrameRecord",
    "GroupCommitWriter",
    "InboundWriter",
    "MemoryStore",
    "MessageQuery",
    "MessageStore",
    "MessageStoreFactory",
    "OutboundWriter",
    "PersistenceMode",
    "ReplayFrame",
    "SQLiteStore",
    "SequenceOnlyStore",
    "SequenceReuseError",
    "SequenceState",
    "SessionKey",
    "StoreClosedError",
    "StoreCorruptError",
    "StoreError",
    "StoreFlushError",
    "StoreLockedError",
    "StoreOpenError",
    "StoredMessage",
    "SyncWriter",
    "WriteBehindWriter",
    "make_writer",
    "new_record",
    "open_store",
]
