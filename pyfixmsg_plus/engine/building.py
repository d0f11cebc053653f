"""Turns validated :class:`~pyfixmsg_plus.config.SessionSettings` into the objects the engine runs.

Session settings, dictionaries and validators, stores, TLS contexts, reconnect backoff and flow control: each
builder takes the typed settings of one session and names the setting at fault when it cannot be used.
"""

from __future__ import annotations

import datetime
import functools
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyfixmsg_plus.config import SessionSettings, SlowConsumerAction
from pyfixmsg_plus.message.codec import Codec
from pyfixmsg_plus.message.dictionary import (
    BUILTIN_FILES,
    RawDictionary,
    load_builtin,
    merge_transport,
    read_builtin,
    read_xml,
)
from pyfixmsg_plus.message.errors import DictionaryError
from pyfixmsg_plus.message.reference import FixSpec
from pyfixmsg_plus.message.validation import Validator
from pyfixmsg_plus.session import Persistence, Role, SessionConfig
from pyfixmsg_plus.session.config import LogonCheck, version_key
from pyfixmsg_plus.session.fixt import (
    APPL_VER_DICTIONARIES,
    ApplVerCodec,
    FixtDictionaries,
    is_fixt,
    version_name,
)
from pyfixmsg_plus.session.next_expected import supports_next_expected
from pyfixmsg_plus.session.schedule import SessionSchedule
from pyfixmsg_plus.store import MessageStore, MessageStoreFactory, SessionKey
from pyfixmsg_plus.transport import Backoff, ClientCertMode, FlowControl, client_context, server_context

#: ApplVerID(1128) of the dictionary a FIXT.1.1 session encodes and decodes with when its DefaultApplVerID names
#: a version without one: 9, FIX 5.0 SP2 (built in)
_FIXT_FALLBACK_APPL_VER_ID = "9"
#: the built-in transport dictionary of FIXT.1.1 sessions (admin messages, header, trailer)
_FIXT_TRANSPORT_DICTIONARY = "FIXT.1.1"
#: DefaultApplVerID(1137) is sent on the Logon of FIXT.1.1 sessions
_DEFAULT_APPL_VER_ID = 1137


#: BeginString of an application version -> its ApplVerID(1128) value (the reverse of APPL_VER_DICTIONARIES)
_APPL_VER_ID_OF = {name: appl_ver_id for appl_ver_id, name in APPL_VER_DICTIONARIES.items()}


class SpecCache:
    """Loads each data dictionary once, however many sessions use it (XML parsing takes tens of ms), and shares
    one Codec and one Validator per dictionary and settings: both only cache what they derive from the
    dictionary, and building them per session made 500 sessions stall the loop for seconds (layouts compiled on
    each session's first decode)."""

    def __init__(self) -> None:
        self._specs: dict[str, FixSpec] = {}
        self._codecs: dict[int, Codec] = {}
        self._validators: dict[tuple[object, ...], Validator | None] = {}
        self._fixt: dict[tuple[object, ...], FixtDictionaries] = {}
        self._fixt_codecs: dict[tuple[int, int], ApplVerCodec] = {}

    def codec_for(self, spec: FixSpec, settings: SessionSettings | None = None) -> Codec:
        """The Codec shared by the sessions of ``spec`` (a dictionary from this cache).

        With the ``settings`` of a FIXT.1.1 session that validates (UseDataDictionary = Y): an
        :class:`ApplVerCodec`, which orders a message the application sends with its own ApplVerID(1128) by the
        dictionary of that version and refuses a 1128 naming none of the session's."""
        if settings is not None and is_fixt(settings.begin_string) and settings.use_data_dictionary:
            return self._fixt_codec(spec, settings)
        codec = self._codecs.get(id(spec))
        if codec is None:
            codec = self._codecs[id(spec)] = Codec(spec=spec)
        return codec

    def _fixt_codec(self, spec: FixSpec, settings: SessionSettings) -> ApplVerCodec:
        dictionaries = self.fixt_dictionaries_for(settings)
        key = (id(spec), id(dictionaries))
        codec = self._fixt_codecs.get(key)
        if codec is None:
            codec_of = functools.partial(self._version_codec, settings)
            codec = self._fixt_codecs[key] = ApplVerCodec(spec, dictionaries, codec_of)
        return codec

    def _version_codec(self, settings: SessionSettings, appl_ver_id: str) -> Codec:
        """The shared Codec of the application dictionary of ApplVerID(1128) ``appl_ver_id``."""
        return self.codec_for(self._application_spec(settings, appl_ver_id))

    def validator_for(self, settings: SessionSettings, spec: FixSpec) -> Validator | FixtDictionaries | None:
        """The Validator shared by the sessions of ``spec`` with the same validation settings; for a FIXT.1.1
        session the :class:`FixtDictionaries` (transport + one dictionary per ApplVerID(1128)) instead."""
        if is_fixt(settings.begin_string) and settings.use_data_dictionary:
            return self.fixt_dictionaries_for(settings)
        key = (id(spec), *_validation_options(settings))
        if key not in self._validators:
            self._validators[key] = build_validator(settings, spec)
        return self._validators[key]

    def fixt_dictionaries_for(self, settings: SessionSettings) -> FixtDictionaries:
        """The validators of a FIXT.1.1 session: TransportDataDictionary (else the built-in FIXT.1.1) for admin
        messages, and per ApplVerID(1128) value the application dictionary of that version
        (``AppDataDictionary.<BeginString>``, else AppDataDictionary for its own version, else the built-in
        one), each loaded on first use."""
        key = (
            str(settings.transport_data_dictionary or ""),
            str(settings.app_data_dictionary or settings.data_dictionary or ""),
            settings.app_data_dictionaries,
            settings.default_appl_ver_id,
            *_validation_options(settings),
        )
        dictionaries = self._fixt.get(key)
        if dictionaries is None:
            transport = build_validator(settings, self._transport_spec(settings))
            loaders = {
                appl_ver_id: functools.partial(self._application_validator, settings, appl_ver_id)
                for appl_ver_id in self._application_versions(settings)
            }
            dictionaries = FixtDictionaries(transport, loaders, settings.default_appl_ver_id)
            self._fixt[key] = dictionaries
        return dictionaries

    def for_session(self, settings: SessionSettings) -> FixSpec:
        """The dictionary of a session: ``DataDictionary`` when set, else the built-in one of its BeginString;
        for FIXT.1.1 the application dictionary of its DefaultApplVerID (``AppDataDictionary`` or built-in,
        merged with the transport dictionary), FIX 5.0 SP2 when that version has none."""
        if is_fixt(settings.begin_string):
            versions = self._application_versions(settings)
            default = settings.default_appl_ver_id
            return self._application_spec(settings, default if default in versions else _FIXT_FALLBACK_APPL_VER_ID)
        path = settings.data_dictionary
        if path is not None:
            return self._load(str(path), lambda: FixSpec(str(path)))
        name = settings.begin_string
        return self._load(f"builtin:{name}", lambda: load_builtin(name))

    def _application_versions(self, settings: SessionSettings) -> list[str]:
        """The ApplVerID(1128) values a FIXT.1.1 session has an application dictionary for.

        Loads every ``AppDataDictionary.<BeginString>`` file now, so that a missing file or one declaring
        another version fails create() naming the key rather than rejecting that version's messages later."""
        versions = [value for value, name in APPL_VER_DICTIONARIES.items() if name in BUILTIN_FILES]
        own = self._configured_version(settings)
        if own is not None and own not in versions:
            versions.append(own)
        for appl_ver_id in self._versioned_paths(settings):
            self._application_spec(settings, appl_ver_id)
            if appl_ver_id not in versions:
                versions.append(appl_ver_id)
        return versions

    @staticmethod
    def _versioned_paths(settings: SessionSettings) -> dict[str, Path]:
        """ApplVerID(1128) value -> file of ``AppDataDictionary.<BeginString>``."""
        return {_APPL_VER_ID_OF[version]: path for version, path in settings.app_data_dictionaries}

    def _configured_version(self, settings: SessionSettings) -> str | None:
        """The ApplVerID(1128) value of ``AppDataDictionary`` (None when unset)."""
        path = settings.app_data_dictionary or settings.data_dictionary
        if path is None:
            return None
        version = self._load(f"{path}+transport", lambda: self._merged_xml(settings, path)).default_appl_ver_id
        if version is None:
            raise ValueError(f"AppDataDictionary = {path}: it names no FIX application version (fix major/minor)")
        return version

    def _application_spec(self, settings: SessionSettings, appl_ver_id: str) -> FixSpec:
        """The application dictionary of ApplVerID(1128) ``appl_ver_id`` with the transport's header,
        trailer and admin messages merged in: ``AppDataDictionary.<BeginString>`` of that version, else
        ``AppDataDictionary`` when it declares that version, else the built-in one (QuickFIX registers the
        per-version keys after the plain one, so they win too)."""
        versioned = self._versioned_paths(settings).get(appl_ver_id)
        if versioned is not None:
            return self._versioned_spec(settings, appl_ver_id, versioned)
        path = settings.app_data_dictionary or settings.data_dictionary
        if path is not None and self._configured_version(settings) == appl_ver_id:
            return self._load(f"{path}+transport", lambda: self._merged_xml(settings, path))
        name = APPL_VER_DICTIONARIES[appl_ver_id]
        transport = settings.transport_data_dictionary
        key = f"builtin:{name}" if transport is None else f"builtin:{name}+{transport}"
        return self._load(key, lambda: FixSpec.from_raw(self._merged(read_builtin(name), settings), key))

    def _versioned_spec(self, settings: SessionSettings, appl_ver_id: str, path: Path) -> FixSpec:
        """The file of ``AppDataDictionary.<BeginString>``; ValueError naming the key when it cannot be loaded
        or declares another version than its suffix."""
        key = f"AppDataDictionary.{APPL_VER_DICTIONARIES[appl_ver_id]}"
        try:
            spec = self._load(f"{path}+transport", lambda: self._merged_xml(settings, path))
        except ValueError as exc:
            raise ValueError(f"session {settings.session_id}: {key} = {path}: {exc}") from exc
        if spec.default_appl_ver_id != appl_ver_id:
            declared = version_name(spec.default_appl_ver_id) if spec.default_appl_ver_id else "no FIX version"
            raise ValueError(
                f"session {settings.session_id}: {key} = {path} declares ApplVerID {declared} (its <fix> "
                f"major/minor/servicepack), not {version_name(appl_ver_id)}"
            )
        return spec

    def _application_validator(self, settings: SessionSettings, appl_ver_id: str) -> Validator:
        spec = self._application_spec(settings, appl_ver_id)
        validator = build_validator(settings, spec)
        assert validator is not None  # FIXT dictionaries are only built with UseDataDictionary = Y
        return validator

    def _transport_spec(self, settings: SessionSettings) -> FixSpec:
        path = settings.transport_data_dictionary
        if path is not None:
            return self._load(str(path), lambda: FixSpec(str(path)))
        return self._load(f"builtin:{_FIXT_TRANSPORT_DICTIONARY}", lambda: load_builtin(_FIXT_TRANSPORT_DICTIONARY))

    def _merged_xml(self, settings: SessionSettings, path: Path) -> FixSpec:
        return FixSpec.from_raw(self._merged(read_xml(path), settings), str(path))

    @staticmethod
    def _merged(application: RawDictionary, settings: SessionSettings) -> RawDictionary:
        """``application`` with the transport dictionary merged in (unless it is one, or carries one)."""
        if application["type"] == "FIXT" or application.get("transport") is not None:
            return application
        path = settings.transport_data_dictionary
        transport = read_xml(path) if path is not None else read_builtin(_FIXT_TRANSPORT_DICTIONARY)
        return merge_transport(application, transport)

    def _load(self, key: str, load: Callable[[], FixSpec]) -> FixSpec:
        spec = self._specs.get(key)
        if spec is None:
            try:
                spec = self._specs[key] = load()
            except (OSError, ValueError, KeyError, DictionaryError) as exc:
                raise ValueError(f"DataDictionary = {key}: cannot load the dictionary: {exc}") from exc
        return spec


def _validation_options(settings: SessionSettings) -> tuple[object, ...]:
    """The settings a Validator is built from (sessions that share them share one)."""
    return (
        settings.use_data_dictionary,
        settings.validate_fields_out_of_order,
        settings.validate_fields_have_values,
        settings.validate_user_defined_fields,
        settings.allow_unknown_msg_fields,
    )


def build_validator(settings: SessionSettings, spec: FixSpec) -> Validator | None:
    """The dictionary validator of a session (None when ``UseDataDictionary = N``), QuickFIX's settings mapped."""
    if not settings.use_data_dictionary:
        return None
    return Validator(
        spec,
        check_fields_out_of_order=settings.validate_fields_out_of_order,
        check_fields_have_values=settings.validate_fields_have_values,
        allow_user_defined=not settings.validate_user_defined_fields,
        check_unknown_tags=not settings.allow_unknown_msg_fields,
        check_tag_defined_for_message=not settings.allow_unknown_msg_fields,
    )


def build_session_config(
    settings: SessionSettings,
    *,
    logon_check: LogonCheck | None = None,
    supported_app_msg_types: frozenset[str] | None = None,
) -> SessionConfig:
    """The sans-I/O session's settings from the configuration's (times in seconds)."""
    extra: list[tuple[int, str]] = []
    if settings.begin_string.startswith("FIXT") and settings.default_appl_ver_id:
        extra.append((_DEFAULT_APPL_VER_ID, settings.default_appl_ver_id))
    return SessionConfig(
        settings.begin_string,
        settings.sender_comp_id,
        settings.target_comp_id,
        role=Role.INITIATOR if settings.is_initiator else Role.ACCEPTOR,
        qualifier=settings.session_qualifier or "",
        heartbeat_interval=settings.heart_bt_int,
        logon_timeout=settings.logon_timeout or 10.0,
        logout_timeout=settings.logout_timeout or 2.0,
        reset_on_logon=settings.reset_on_logon,
        reset_on_logout=settings.reset_on_logout,
        reset_on_disconnect=settings.reset_on_disconnect,
        check_comp_id=settings.check_comp_id,
        check_latency=settings.check_latency,
        max_latency=float(settings.max_latency),
        send_redundant_resend_requests=settings.send_redundant_resend_requests,
        enable_next_expected_msg_seq_num=_next_expected_enabled(settings),
        supported_app_msg_types=supported_app_msg_types,
        persistence=Persistence(settings.persistence_mode.value),
        username=settings.username,
        password=settings.password.reveal() if settings.password is not None else None,
        logon_check=logon_check,
        logon_extra_fields=tuple(extra),
    )


def _next_expected_enabled(settings: SessionSettings) -> bool:
    """``EnableNextExpectedMsgSeqNum``; ValueError naming the session when its BeginString has no
    NextExpectedMsgSeqNum(789) in the Logon (before FIX.4.4)."""
    enabled = settings.enable_next_expected_msg_seq_num
    if enabled and not supports_next_expected(version_key(settings.begin_string)):
        raise ValueError(
            f"session {settings.session_id}: EnableNextExpectedMsgSeqNum = Y needs BeginString FIX.4.4 or "
            f"FIXT.1.1 (NextExpectedMsgSeqNum(789) is not in the Logon of {settings.begin_string})"
        )
    return enabled


def build_schedule(settings: SessionSettings) -> SessionSchedule:
    """The session time of ``StartTime``/``EndTime`` (``StartDay``/``EndDay`` for a weekly one), read in
    ``TimeZone``, else the machine's local time with ``UseLocalTime = Y``, else UTC; always in session without
    them."""
    zone: Any = datetime.UTC
    if settings.time_zone:
        zone = settings.time_zone
    elif settings.use_local_time:
        zone = None  # naive datetimes: the machine's local time, DST included
    try:
        return SessionSchedule(
            settings.start_time, settings.end_time, zone, start_day=settings.start_day, end_day=settings.end_day
        )
    except (ValueError, KeyError) as exc:  # zoneinfo raises a KeyError subclass for an unknown zone
        raise ValueError(f"session {settings.session_id}: StartTime/EndTime/TimeZone: {exc}") from exc


def session_key(settings: SessionSettings) -> SessionKey:
    """The store's key of a session (BeginString, SenderCompID, TargetCompID, qualifier)."""
    return SessionKey(
        settings.begin_string,
        settings.sender_comp_id,
        settings.target_comp_id,
        settings.session_qualifier or "",
    )


class StoreCache:
    """One store object per backend and file, shared by the sessions that name the same ``StorePath``."""

    def __init__(self) -> None:
        self._stores: dict[tuple[str, str], MessageStore] = {}

    def for_session(self, settings: SessionSettings) -> MessageStore:
        """The (not yet opened) store of a session; its default session is the first session that uses it."""
        kind = settings.store_type.value
        where = "" if kind == "memory" else str(settings.store_file.resolve())
        store = self._stores.get((kind, where))
        if store is None:
            store = MessageStoreFactory.get_message_store(
                kind,
                settings.store_file if kind != "memory" else None,
                settings.begin_string,
                settings.sender_comp_id,
                settings.target_comp_id,
            )
            self._stores[(kind, where)] = store
        return store

    @property
    def stores(self) -> list[MessageStore]:
        """Every store made, in creation order."""
        return list(self._stores.values())


def build_backoff(settings: SessionSettings) -> Backoff:
    """Reconnect delays: ``ReconnectInterval`` doubled per failed round, capped, with jitter (seconds)."""
    initial = settings.reconnect_interval
    return Backoff(
        initial=initial,
        cap=max(settings.reconnect_max_interval, initial),
        jitter=settings.reconnect_jitter,
        max_retries=settings.reconnect_max_retries,
    )


def build_flow_control(settings: SessionSettings) -> FlowControl:
    """Write-buffer limits from ``MaxWriteBufferBytes`` and ``SlowConsumerAction`` (bytes), ``SocketNodelay``, and
    the read budget of a loop iteration, ``ReadBytesPerTurn`` (bytes).

    ``pause``: reading from the peer pauses once the buffer passes MaxWriteBufferBytes (a hard limit of four
    times that still disconnects, so memory stays bounded); ``disconnect``: the connection drops at the limit.
    """
    limit, nodelay = settings.max_write_buffer_bytes, settings.socket_nodelay  # SocketNodelay: TCP_NODELAY
    per_turn = settings.read_bytes_per_turn  # ReadBytesPerTurn: fairness of reads (transport/connection.py)
    if settings.slow_consumer_action is SlowConsumerAction.PAUSE:
        return FlowControl(high_water=limit, max_buffer=4 * limit, pause_reading=True, nodelay=nodelay,
                           read_bytes_per_turn=per_turn)  # fmt: skip
    return FlowControl(high_water=min(limit, 256 * 1024), max_buffer=limit, pause_reading=False, nodelay=nodelay,
                       read_bytes_per_turn=per_turn)  # fmt: skip


def _tls_version(settings: SessionSettings) -> ssl.TLSVersion:
    name = settings.ssl_minimum_version.replace(".", "_")
    try:
        return ssl.TLSVersion[name]
    except KeyError:
        raise ValueError(
            f"SSLMinimumVersion = {settings.ssl_minimum_version!r} of session {settings.session_id} is not "
            "TLSv1.2 or TLSv1.3"
        ) from None


def _key_password(settings: SessionSettings) -> str | None:
    secret = settings.ssl_private_key_password
    return secret.reveal() if secret is not None else None


def build_server_tls(settings: SessionSettings) -> ssl.SSLContext | None:
    """The acceptor's TLS context (None without ``SocketUseSSL``)."""
    if not settings.socket_use_ssl:
        return None
    if settings.ssl_certificate is None:
        raise ValueError(f"SSLCertificate is required for the TLS acceptor of session {settings.session_id}")
    mode = ClientCertMode.REQUIRED if settings.ssl_require_client_certificate else ClientCertMode.NONE
    return server_context(
        settings.ssl_certificate,
        settings.ssl_private_key,
        cafile=settings.ssl_ca_certificate,
        client_cert=mode,
        password=_key_password(settings),
        minimum_version=_tls_version(settings),
    )


def build_client_tls(settings: SessionSettings) -> ssl.SSLContext | None:
    """The initiator's TLS context (None without ``SocketUseSSL``)."""
    if not settings.socket_use_ssl:
        return None
    return client_context(
        cafile=settings.ssl_ca_certificate,
        certfile=settings.ssl_certificate,
        keyfile=settings.ssl_private_key,
        password=_key_password(settings),
        check_hostname=settings.ssl_check_hostname,
        minimum_version=_tls_version(settings),
    )


def accept_address(settings: SessionSettings) -> tuple[str | None, int]:
    """(host, port) an acceptor session listens on; None host means every interface."""
    if settings.socket_accept_port is None:
        raise ValueError(f"SocketAcceptPort is required for acceptor session {settings.session_id}")
    return settings.socket_accept_host, settings.socket_accept_port


def store_path_of(store: Any) -> Path | None:
    """The file of a SQLite store (None for the memory store)."""
    path = getattr(store, "path", None)
    return Path(path) if path is not None else None
