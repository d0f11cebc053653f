"""The SQLite schema shared by the sqlite3 and aiosqlite backends, its version, and its statements.

Layout (version 1):

- ``sessions``: one row per session identity with its durable sequence state.
- ``messages``: one row per stored frame, keyed by ``(stream << 32) | MsgSeqNum`` where ``stream`` is
  ``session id * 2 + direction``: the integer primary key is the index for lookups and ranges by sequence
  number (ResendRequest(2)), and inserts in sequence order append to the table's B-tree.
- ``batches``: a block-range index (as PostgreSQL's BRIN): one row per stored batch with its sequence range,
  SendingTime range and the MsgTypes it holds. Time-range, MsgType and prune queries find the candidate key
  ranges there, then filter the rows. It costs one row per batch instead of one B-tree entry per message,
  which
  keeps group commit and write-behind near the raw insert rate of SQLite.

The version is kept in ``PRAGMA user_version`` so that a later release can migrate older files.
"""

from __future__ import annotations

import sqlite3

SCHEMA_VERSION = 1

CREATE_SCHEMA: tuple[str, ...] = (
    """CREATE TABLE sessions(
        id INTEGER PRIMARY KEY,
        begin_string TEXT NOT NULL,
        sender_comp_id TEXT NOT NULL,
        target_comp_id TEXT NOT NULL,
        qualifier TEXT NOT NULL DEFAULT '',
        creation_time REAL NOT NULL,
        next_sender_seqnum INTEGER NOT NULL DEFAULT 1,
        next_target_seqnum INTEGER NOT NULL DEFAULT 1,
        reserved_through INTEGER NOT NULL DEFAULT 0,
        UNIQUE(begin_string, sender_comp_id, target_comp_id, qualifier))""",
    """CREATE TABLE messages(
        key INTEGER PRIMARY KEY,
        msg_type TEXT NOT NULL,
        sending_time REAL NOT NULL,
        data BLOB NOT NULL)""",
    """CREATE TABLE batches(
        id INTEGER PRIMARY KEY,
        stream INTEGER NOT NULL,
        first_seq INTEGER NOT NULL,
        last_seq INTEGER NOT NULL,
        min_time REAL NOT NULL,
        max_time REAL NOT NULL,
        msg_types TEXT NOT NULL)""",
    "CREATE INDEX batches_by_time ON batches(stream, max_time)",
    f"PRAGMA user_version = {SCHEMA_VERSION}",
)

#: migrations[v] upgrades a file from version v to v + 1 (none yet)
MIGRATIONS: dict[int, tuple[str, ...]] = {}

INSERT_OUTBOUND = "INSERT INTO messages(key, msg_type, sending_time, data) VALUES (?, ?, ?, ?)"
# a PossDupFlag(43)=Y resend of an inbound message replaces the copy stored the first time
INSERT_INBOUND = "INSERT OR REPLACE INTO messages(key, msg_type, sending_time, data) VALUES (?, ?, ?, ?)"
#: the parameter list of one row of the messages table in the INSERT statements above
_ROW_VALUES = "(?, ?, ?, ?)"
#: rows per multi-row INSERT: SQLite >= 3.32 takes up to 32,766 parameters per statement, older ones 999
ROWS_PER_INSERT = 500 if sqlite3.sqlite_version_info >= (3, 32, 0) else 249


def insert_rows_sql(insert: str, rows: int) -> str:
    """``insert`` (INSERT_OUTBOUND or INSERT_INBOUND) taking ``rows`` rows in one statement."""
    if not insert.endswith(_ROW_VALUES) or rows < 1:
        raise ValueError(f"insert_rows_sql: cannot make {rows} rows of {insert!r}")
    return insert + f", {_ROW_VALUES}" * (rows - 1)


#: frames one row of ``temp.inbound_runs`` may hold (the size of ``temp.frame_numbers``)
RUN_ROWS_MAX = 4096

# Per-connection helpers (TEMP: nothing is added to the file, whose schema stays version 1) that let SQLite split
# whole runs of received frames itself. One INSERT into the view ``inbound_runs`` stores a whole inbound batch:
# each view row is a run (consecutive MsgSeqNum(34), one SendingTime) given as a blob of its frames and a
# fixed-width index (``storepack.pack_run_blob``); the trigger cuts the frames out with substr() and, on a row
# that carries them, adds the batch's block-range row and the next expected inbound MsgSeqNum. The sqlite3
# module binds a few values per run and holds the GIL only around binding: SQLite's work, in one step, runs
# without it, so a writer thread keeps pace while the event loop receives. CTEs are not allowed in triggers,
# hence the numbers table; substr() of an empty blob is NULL, hence coalesce.
CREATE_RUN_HELPERS: tuple[str, ...] = (
    "CREATE TEMP TABLE IF NOT EXISTS frame_numbers(n INTEGER PRIMARY KEY)",
    "INSERT OR IGNORE INTO temp.frame_numbers(n) WITH RECURSIVE r(n) AS "
    f"(SELECT 0 UNION ALL SELECT n + 1 FROM r WHERE n + 1 < {RUN_ROWS_MAX}) SELECT n FROM r",
    """CREATE TEMP VIEW IF NOT EXISTS inbound_runs(
        first_key, frame_count, frames, frame_index, stride, sending_time,
        stream, first_seq, last_seq, min_time, max_time, msg_types, session_id, next_target_seqnum)
        AS SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL""",
    # a PossDupFlag(43)=Y resend of an inbound message replaces the copy stored the first time (INSERT_INBOUND)
    f"""CREATE TEMP TRIGGER IF NOT EXISTS inbound_runs_insert INSTEAD OF INSERT ON inbound_runs BEGIN
        SELECT RAISE(ABORT, 'inbound run longer than {RUN_ROWS_MAX} frames') WHERE NEW.frame_count > {RUN_ROWS_MAX};
        INSERT OR REPLACE INTO messages(key, msg_type, sending_time, data)
            SELECT NEW.first_key + n,
                CAST(substr(NEW.frame_index, n * NEW.stride + 25,
                    CAST(substr(NEW.frame_index, n * NEW.stride + 21, 4) AS INTEGER)) AS TEXT),
                NEW.sending_time,
                coalesce(substr(NEW.frames, CAST(substr(NEW.frame_index, n * NEW.stride + 1, 10) AS INTEGER),
                    CAST(substr(NEW.frame_index, n * NEW.stride + 11, 10) AS INTEGER)), x'')
            FROM temp.frame_numbers WHERE n < NEW.frame_count ORDER BY n;
        INSERT INTO batches(stream, first_seq, last_seq, min_time, max_time, msg_types)
            SELECT NEW.stream, NEW.first_seq, NEW.last_seq, NEW.min_time, NEW.max_time, NEW.msg_types
            WHERE NEW.msg_types IS NOT NULL;
        UPDATE sessions SET next_target_seqnum = NEW.next_target_seqnum
            WHERE id = NEW.session_id AND NEW.next_target_seqnum IS NOT NULL;
    END""",
)
#: the parameter list of one row of ``temp.inbound_runs``
_RUN_VALUES = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
#: runs per INSERT into ``temp.inbound_runs``: 14 parameters each, within the limit of ROWS_PER_INSERT's comment
RUNS_PER_INSERT = 500 if sqlite3.sqlite_version_info >= (3, 32, 0) else 71


def insert_runs_sql(runs: int) -> str:
    """One INSERT of ``runs`` rows into ``temp.inbound_runs`` (see :data:`CREATE_RUN_HELPERS`)."""
    if runs < 1:
        raise ValueError(f"insert_runs_sql: cannot make {runs} runs")
    return "INSERT INTO temp.inbound_runs VALUES " + ", ".join([_RUN_VALUES] * runs)


INSERT_BATCH = (
    "INSERT INTO batches(stream, first_seq, last_seq, min_time, max_time, msg_types) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
ADVANCE_SENDER = "UPDATE sessions SET next_sender_seqnum = max(next_sender_seqnum, ?) WHERE id = ?"
SET_TARGET = "UPDATE sessions SET next_target_seqnum = ? WHERE id = ?"
SET_SENDER = (
    "UPDATE sessions SET next_sender_seqnum = ?, reserved_through = min(reserved_through, ? - 1) WHERE id = ?"
)
RESERVE = "UPDATE sessions SET reserved_through = max(reserved_through, ?) WHERE id = ?"
SELECT_STATE = (
    "SELECT next_sender_seqnum, next_target_seqnum, reserved_through, creation_time "
    "FROM sessions WHERE id = ?"
)
SELECT_SESSION_ID = (
    "SELECT id FROM sessions "
    "WHERE begin_string = ? AND sender_comp_id = ? AND target_comp_id = ? AND qualifier = ?"
)
INSERT_SESSION = (
    "INSERT OR IGNORE INTO sessions(begin_string, sender_comp_id, target_comp_id, qualifier, creation_time) "
    "VALUES (?, ?, ?, ?, ?)"
)
SELECT_SESSIONS = "SELECT id, begin_string, sender_comp_id, target_comp_id, qualifier FROM sessions"
RESET_SESSION = (
    "UPDATE sessions SET next_sender_seqnum = 1, next_target_seqnum = 1, reserved_through = 0, "
    "creation_time = ? WHERE id = ?"
)
SELECT_RANGE = "SELECT key, msg_type, sending_time, data FROM messages WHERE key BETWEEN ? AND ? ORDER BY key"
# a replay's rows as the session takes them: (MsgSeqNum(34), frame, MsgType(35)); the key's low 32 bits are the
# sequence number
SELECT_REPLAY = "SELECT key & 4294967295, data, msg_type FROM messages WHERE key BETWEEN ? AND ? ORDER BY key"
SELECT_FILTERED = (
    "SELECT key, msg_type, sending_time, data FROM messages WHERE key BETWEEN ? AND ? "
    "AND sending_time >= ? AND sending_time < ? AND (? IS NULL OR msg_type = ?) ORDER BY key"
)
# candidate batches of a stream for a time / MsgType filter (the block-range index)
SELECT_CANDIDATE_BATCHES = (
    "SELECT first_seq, last_seq FROM batches WHERE stream = ? AND max_time >= ? AND min_time < ? "
    "AND (? IS NULL OR instr(msg_types, ?) > 0) ORDER BY first_seq"
)
DELETE_RANGE = "DELETE FROM messages WHERE key BETWEEN ? AND ?"
DELETE_STREAM_BATCHES = "DELETE FROM batches WHERE stream = ?"
SELECT_PRUNABLE_BATCHES = "SELECT first_seq, last_seq FROM batches WHERE stream = ? AND min_time < ?"
DELETE_OLD_ROWS = "DELETE FROM messages WHERE key BETWEEN ? AND ? AND sending_time < ?"
DELETE_OLD_BATCHES = "DELETE FROM batches WHERE stream = ? AND max_time < ?"
