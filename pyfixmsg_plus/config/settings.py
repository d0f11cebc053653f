"""Typed, immutable settings that the engine consumes: one :class:`SessionSettings` per session.

Field names are the snake_case forms of the INI keys in :mod:`pyfixmsg_plus.config.schema` (a test keeps the
two in step). Durations are in seconds, ports are 1..65535, times of day are :class:`datetime.time`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from pyfixmsg_plus.config.secrets import Secret


class ConnectionType(StrEnum):
    """Who opens the TCP connection (QuickFIX ``ConnectionType``)."""

    INITIATOR = "initiator"
    ACCEPTOR = "acceptor"


class StoreType(StrEnum):
    """Message store backend (the original's ``message_store_type``)."""

    MEMORY = "memory"
    DATABASE = "database"
    """sqlite3, synchronous"""
    AIOSQLITE = "aiosqlite"


class PersistenceMode(StrEnum):
    """When outbound messages are stored relative to sending them (see DESIGN: persistence modes)."""

    SYNC = "sync"
    GROUP = "group"
    WRITE_BEHIND = "write_behind"


class SlowConsumerAction(StrEnum):
    """What the transport does when the peer reads slower than we write and the buffer passes its limit."""

    PAUSE = "pause"
    DISCONNECT = "disconnect"


class ScheduleAction(StrEnum):
    """Actions of the ``[Scheduler] schedules`` entries (the original project's scheduler)."""

    START = "start"
    STOP = "stop"
    RESET = "reset"
    RESET_START = "reset_start"


@dataclass(frozen=True, slots=True)
class ScheduleEntry:
    """Every day at ``time`` (HH:MM, wall clock of the sessions' TimeZone, UTC by default) perform ``action``."""

    time: datetime.time
    action: ScheduleAction


@dataclass(frozen=True, slots=True)
class Address:
    """A TCP endpoint to connect to."""

    host: str
    port: int


@dataclass(frozen=True, slots=True)
class SessionSettings:
    """Everything one FIX session needs, validated and typed. Secrets are :class:`Secret` (masked in repr)."""

    connection_type: ConnectionType
    begin_string: str
    sender_comp_id: str
    target_comp_id: str
    session_qualifier: str | None
    sender_sub_id: str | None
    target_sub_id: str | None
    default_appl_ver_id: str | None
    socket_connect_host: str
    socket_connect_port: int | None
    failover_addresses: tuple[Address, ...]
    """SocketConnectHost1/Port1, SocketConnectHost2/Port2, ... tried in turn after the primary address."""
    socket_accept_host: str | None
    socket_accept_port: int | None
    socket_nodelay: bool
    socket_reuse_address: bool
    reconnect_interval: float
    reconnect_max_interval: float
    reconnect_jitter: float
    reconnect_max_retries: int | None
    max_write_buffer_bytes: int
    slow_consumer_action: SlowConsumerAction
    read_bytes_per_turn: int
    heart_bt_int: int
    logon_timeout: float
    logout_timeout: float
    check_latency: bool
    max_latency: int
    start_time: datetime.time | None
    end_time: datetime.time | None
    start_day: int | None
    """ISO weekday, 1 = Monday"""
    end_day: int | None
    time_zone: str | None
    use_local_time: bool
    reset_on_logon: bool
    reset_on_logout: bool
    reset_on_disconnect: bool
    refresh_on_logon: bool
    send_redundant_resend_requests: bool
    enable_next_expected_msg_seq_num: bool
    encrypt_method: int
    data_dictionary: Path | None
    transport_data_dictionary: Path | None
    app_data_dictionary: Path | None
    use_data_dictionary: bool
    validate_fields_out_of_order: bool
    validate_fields_have_values: bool
    validate_user_defined_fields: bool
    allow_unknown_msg_fields: bool
    check_comp_id: bool
    store_type: StoreType
    store_path: Path
    file_store_path: Path | None
    persist_messages: bool
    persistence_mode: PersistenceMode
    file_log_path: Path | None
    username: str | None
    password: Secret | None
    socket_use_ssl: bool
    ssl_certificate: Path | None
    ssl_private_key: Path | None
    ssl_private_key_password: Secret | None
    ssl_ca_certificate: Path | None
    ssl_require_client_certificate: bool
    ssl_check_hostname: bool
    ssl_server_name: str | None
    ssl_minimum_version: str
    app_data_dictionaries: tuple[tuple[str, Path], ...] = ()
    """``AppDataDictionary.<BeginString>`` keys as (BeginString, path), in version order (FIX.4.0 first): each
    file replaces the built-in application dictionary of that version on a FIXT.1.1 session."""

    @property
    def session_id(self) -> str:
        """``BeginString:SenderCompID->TargetCompID[:SessionQualifier]`` (QuickFIX's SessionID text)."""
        base = f"{self.begin_string}:{self.sender_comp_id}->{self.target_comp_id}"
        return f"{base}:{self.session_qualifier}" if self.session_qualifier else base

    @property
    def is_initiator(self) -> bool:
        return self.connection_type is ConnectionType.INITIATOR

    @property
    def connect_addresses(self) -> tuple[Address, ...]:
        """The primary connect address followed by the failover ones (initiators only; empty otherwise)."""
        if not self.is_initiator or self.socket_connect_port is None:
            return ()
        return (Address(self.socket_connect_host, self.socket_connect_port), *self.failover_addresses)

    @property
    def store_file(self) -> Path:
        """The store's database file: ``StorePath``, under ``FileStorePath`` when that is set and StorePath is
        relative."""
        if self.file_store_path is not None and not self.store_path.is_absolute():
            return self.file_store_path / self.store_path
        return self.store_path


@dataclass(frozen=True, slots=True)
class EngineSettings:
    """Settings for the whole engine (from ``[DEFAULT]``/``[FIX]`` and ``[Scheduler]``)."""

    use_uvloop: bool
    schedules: tuple[ScheduleEntry, ...]
    #: freeze the objects alive once the engine is open (``GcFreeze``; docs/performance.md entry 43)
    gc_freeze: bool = False
    #: serve Prometheus metrics on this port while the engine runs (``MetricsPort``; None: no exporter)
    metrics_port: int | None = None
    #: the address the metrics exporter binds (``MetricsAddress``)
    metrics_address: str = "127.0.0.1"
