"""The one table of configuration keys: name, type, default, QuickFIX equivalent, description, aliases.

It drives validation (:mod:`pyfixmsg_plus.config.resolve`), "did you mean" suggestions, and the configuration
reference (:func:`pyfixmsg_plus.config.reference.render_markdown` writes docs/configuration.md).
Key names follow QuickFIX's spelling where QuickFIX has the setting; the original project's ``[FIX]`` names
(``sender``, ``port``, ...) and the aliases its example files used are accepted as aliases.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from enum import StrEnum

from pyfixmsg_plus.config import values as v
from pyfixmsg_plus.config.app_versions import APPLICATION_VERSIONS, application_version
from pyfixmsg_plus.config.values import Converter


class Scope(StrEnum):
    """Where a key may be written."""

    SESSION = "session"
    """``[DEFAULT]``, ``[SESSION]`` or the original's ``[FIX]``"""
    ENGINE = "engine"
    """``[DEFAULT]`` or ``[FIX]``: applies to the whole engine"""
    SCHEDULER = "scheduler"
    """``[Scheduler]``"""


@dataclass(frozen=True, slots=True)
class Key:
    """One configuration key."""

    name: str
    """canonical INI spelling"""
    converter: Converter
    default: str | None
    """default as INI text; None means "not set" (or, with ``required``, that it must be given)"""
    description: str
    quickfix: str | None = None
    """the QuickFIX setting this corresponds to, if any"""
    aliases: tuple[str, ...] = ()
    required: bool = False
    scope: Scope = Scope.SESSION
    numbered: bool = False
    """also accepts ``<name><n>`` for n = 1, 2, ... (QuickFIX failover addresses)"""
    versioned: bool = False
    """also accepts ``<name>.<BeginString>`` for each application version (QuickFIX's per-version
    ``AppDataDictionary.FIX.4.4``)"""

    @property
    def attr(self) -> str:
        """The field name in :class:`~pyfixmsg_plus.config.settings.SessionSettings` / ``EngineSettings``."""
        return _ATTR_OVERRIDES.get(self.name) or snake_case(self.name)


_ATTR_OVERRIDES = {"SSLCACertificate": "ssl_ca_certificate"}


def snake_case(name: str) -> str:
    """``HeartBtInt`` -> ``heart_bt_int``, ``SSLCACertificate`` -> ``ssl_ca_certificate``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return spaced.lower()


def _k(
    name: str,
    converter: Converter,
    default: str | None,
    description: str,
    quickfix: str | None = None,
    *aliases: str,
    required: bool = False,
    scope: Scope = Scope.SESSION,
    numbered: bool = False,
    versioned: bool = False,
) -> Key:
    return Key(name, converter, default, description, quickfix, aliases, required, scope, numbered, versioned)


_SAME = "same"  # marker: the QuickFIX name is the key's own name

_IDENTITY = (
    _k(
        "ConnectionType",
        v.enum(("initiator", "acceptor")),
        "initiator",
        "Whether this side opens the connection (initiator) or listens for it (acceptor).",
        _SAME,
        "mode",
        "role",
    ),
    _k(
        "BeginString",
        v.enum(("FIX.4.0", "FIX.4.1", "FIX.4.2", "FIX.4.3", "FIX.4.4", "FIXT.1.1")),
        "FIX.4.4",
        "BeginString(8) of the session's messages.",
        _SAME,
        "version",
    ),
    _k(
        "SenderCompID",
        v.TEXT,
        None,
        "Our CompID, SenderCompID(49) on what we send.",
        _SAME,
        "sender",
        "sender_comp_id",
        required=True,
    ),
    _k(
        "TargetCompID",
        v.TEXT,
        None,
        "The counterparty's CompID, TargetCompID(56) on what we send.",
        _SAME,
        "target",
        "target_comp_id",
        required=True,
    ),
    _k("SessionQualifier", v.TEXT, None, "Tells apart sessions that share BeginString and CompIDs.", _SAME),
    _k("SenderSubID", v.TEXT, None, "SenderSubID(50) on what we send.", _SAME),
    _k("TargetSubID", v.TEXT, None, "TargetSubID(57) on what we send.", _SAME),
    _k(
        "DefaultApplVerID",
        v.TEXT,
        None,
        "DefaultApplVerID(1137) sent on Logon; required with BeginString FIXT.1.1 (e.g. 9 for FIX 5.0 SP2).",
        _SAME,
    ),
)

_CONNECTION = (
    _k(
        "SocketConnectHost",
        v.TEXT,
        "127.0.0.1",
        "Initiator: host to connect to. SocketConnectHost1, 2, ... are failover hosts tried in turn.",
        _SAME,
        numbered=True,
    ),
    _k(
        "SocketConnectPort",
        v.PORT,
        None,
        "Initiator: port to connect to (required for initiators). SocketConnectPort1, 2, ... go with the "
        "failover hosts.",
        _SAME,
        numbered=True,
    ),
    _k(
        "SocketAcceptHost",
        v.TEXT,
        None,
        "Acceptor: address to listen on; all interfaces when not set.",
        "SocketAcceptAddress (QuickFIX/J)",
        "socketacceptaddress",
    ),
    _k("SocketAcceptPort", v.PORT, None, "Acceptor: port to listen on (required for acceptors).", _SAME),
    _k("SocketNodelay", v.BOOLEAN, "Y", "Disable Nagle's algorithm (TCP_NODELAY).", _SAME),
    _k("SocketReuseAddress", v.BOOLEAN, "Y", "Set SO_REUSEADDR on the listening socket.", _SAME),
    _k(
        "ReconnectInterval",
        v.decimal(0.0, unit="seconds"),
        "30",
        "Initiator: first delay before reconnecting, doubled after each failed try (with jitter) up to "
        "ReconnectMaxInterval.",
        _SAME,
        "retry_interval",
    ),
    _k("ReconnectMaxInterval", v.decimal(0.0, unit="seconds"), "300", "Cap of the reconnect delay."),
    _k(
        "ReconnectJitter",
        v.decimal(0.0, 1.0),
        "0.1",
        "Random fraction added to or taken from each reconnect delay, so many clients do not retry in step.",
    ),
    _k(
        "ReconnectMaxRetries",
        v.integer(0),
        None,
        "Reconnect attempts before giving up; not set means keep trying.",
        None,
        "max_retries",
    ),
    _k(
        "MaxWriteBufferBytes",
        v.integer(1024, unit="bytes"),
        "4194304",
        "Outbound bytes the transport may queue for a slow reader before SlowConsumerAction applies.",
    ),
    _k(
        "SlowConsumerAction",
        v.enum(("pause", "disconnect")),
        "pause",
        "When the write buffer passes MaxWriteBufferBytes: pause reading from the peer, or disconnect "
        "(a log line says which).",
    ),
    _k(
        "ReadBytesPerTurn",
        v.integer(4096, unit="bytes"),
        "524288",
        "Bytes read from the peer and handled before reading yields for one event-loop iteration, so that "
        "timers and the other sessions run during a blast (uvloop reads a busy socket up to 32 times an "
        "iteration; asyncio's own loops read once and ignore it). docs/transport.md, Fairness.",
    ),
    _k("UseUvloop", v.BOOLEAN, "Y", "Run the event loop on uvloop when it is installed.", scope=Scope.ENGINE),
    _k(
        "GcFreeze",
        v.BOOLEAN,
        "N",
        "Once the engine is open, freeze the objects then alive (gc.freeze), so that full garbage collections "
        "no longer walk them: no 13-50 ms collector pause in a latency-sensitive process. Process-wide; "
        "disconnect() thaws them.",
        scope=Scope.ENGINE,
    ),
    _k(
        "MetricsPort",
        v.integer(0, 65535),
        None,
        "Serve Prometheus metrics of every session at http://MetricsAddress:MetricsPort/metrics while the engine "
        "runs (0: a free port, logged). Not set: no exporter. Needs prometheus-client (pip install "
        "'pyfixmsg-plus[metrics]'). docs/metrics.md.",
        scope=Scope.ENGINE,
    ),
    _k(
        "MetricsAddress",
        v.TEXT,
        "127.0.0.1",
        "Address the metrics exporter binds (0.0.0.0: every interface).",
        scope=Scope.ENGINE,
    ),
)

_TIMERS = (
    _k(
        "HeartBtInt",
        v.integer(0, 86400, "seconds"),
        "30",
        "HeartBtInt(108): heartbeat interval.",
        _SAME,
        "heartbeat_interval",
        "interval",
    ),
    _k("LogonTimeout", v.decimal(0.0, unit="seconds"), "10", "Time allowed for the Logon answer.", _SAME),
    _k("LogoutTimeout", v.decimal(0.0, unit="seconds"), "2", "Time allowed for the Logout answer.", _SAME),
    _k(
        "CheckLatency",
        v.BOOLEAN,
        "Y",
        "Reject messages whose SendingTime(52) is more than MaxLatency off.",
        _SAME,
    ),
    _k(
        "MaxLatency",
        v.integer(1, unit="seconds"),
        "120",
        "Largest SendingTime(52) difference accepted.",
        _SAME,
    ),
    _k(
        "StartTime",
        v.TIME_OF_DAY,
        None,
        "Daily session start (with EndTime); always on when neither is set.",
        _SAME,
    ),
    _k("EndTime", v.TIME_OF_DAY, None, "Daily session end (with StartTime).", _SAME),
    _k("StartDay", v.WEEKDAY, None, "Weekly session: first day (with EndDay).", _SAME),
    _k("EndDay", v.WEEKDAY, None, "Weekly session: last day (with StartDay).", _SAME),
    _k("TimeZone", v.TIME_ZONE, None, "Time zone of StartTime/EndTime; UTC when not set.", _SAME),
    _k("UseLocalTime", v.BOOLEAN, "N", "StartTime/EndTime are in the machine's local time.", _SAME),
)

_SEQUENCES = (
    _k(
        "ResetOnLogon",
        v.BOOLEAN,
        "N",
        "Send ResetSeqNumFlag(141)=Y on Logon and start both numbers at 1.",
        _SAME,
        "reset_seq_num_on_logon",
    ),
    _k("ResetOnLogout", v.BOOLEAN, "N", "Reset both sequence numbers after a normal Logout.", _SAME),
    _k("ResetOnDisconnect", v.BOOLEAN, "N", "Reset both sequence numbers when the connection drops.", _SAME),
    _k(
        "RefreshOnLogon",
        v.BOOLEAN,
        "N",
        "Reload the store's state on Logon (stores shared by processes).",
        _SAME,
    ),
    _k(
        "SendRedundantResendRequests",
        v.BOOLEAN,
        "N",
        "Send a ResendRequest(2) even when one for the same gap is pending.",
        _SAME,
    ),
    _k(
        "EnableNextExpectedMsgSeqNum",
        v.BOOLEAN,
        "N",
        "FIX.4.4/FIXT.1.1: our Logons carry NextExpectedMsgSeqNum(789); a received 789 lower than our next "
        "MsgSeqNum has our messages from it resent, a higher one ends the session, and no ResendRequest(2) "
        "is sent for a gap before the counterparty's Logon when both Logons carry 789.",
        _SAME,
    ),
    _k("EncryptMethod", v.integer(0, 6), "0", "EncryptMethod(98) sent on Logon.", None, "encryptmethod"),
)

_VALIDATION = (
    _k(
        "DataDictionary",
        v.PATH,
        None,
        "QuickFIX XML data dictionary; the built-in dictionary of BeginString when not set.",
        _SAME,
        "spec_filename",
    ),
    _k("TransportDataDictionary", v.PATH, None, "FIXT.1.1: dictionary of session-level messages.", _SAME),
    _k(
        "AppDataDictionary",
        v.PATH,
        None,
        "FIXT.1.1: dictionary of application messages; it replaces the built-in one of the version it declares "
        "(fix major/minor/servicepack). AppDataDictionary.<BeginString> (e.g. AppDataDictionary.FIX.4.4 = "
        "FIX44.xml, one key per version, FIX.4.0 to FIX.5.0SP2) replaces the built-in dictionary of that "
        "version, which judges the messages with that ApplVerID(1128); the file must declare that version.",
        _SAME,
        versioned=True,
    ),
    _k("UseDataDictionary", v.BOOLEAN, "Y", "Validate received messages against the dictionary.", _SAME),
    _k(
        "ValidateFieldsOutOfOrder",
        v.BOOLEAN,
        "Y",
        "Reject header/body/trailer fields out of their part.",
        _SAME,
    ),
    _k("ValidateFieldsHaveValues", v.BOOLEAN, "Y", "Reject fields with an empty value.", _SAME),
    _k(
        "ValidateUserDefinedFields",
        v.BOOLEAN,
        "Y",
        "Validate fields 5000..9999 against the dictionary.",
        _SAME,
    ),
    _k("AllowUnknownMsgFields", v.BOOLEAN, "N", "Accept fields the dictionary does not know.", _SAME),
    _k("CheckCompID", v.BOOLEAN, "Y", "Reject messages whose CompIDs do not match the session.", _SAME),
)

_STORE = (
    _k(
        "StoreType",
        v.enum(("memory", "database", "aiosqlite"), {"sqlite": "database", "sqlite3": "database"}),
        "database",
        "Message store backend: memory, database (sqlite3) or aiosqlite.",
        None,
        "message_store_type",
    ),
    _k(
        "StorePath",
        v.PATH,
        "fix_state.db",
        "SQLite file of the store; under FileStorePath when that is set and this is relative.",
        None,
        "state_file",
    ),
    _k("FileStorePath", v.PATH, None, "Directory for store files.", _SAME),
    _k(
        "PersistMessages",
        v.BOOLEAN,
        "Y",
        "Keep sent messages so a ResendRequest is answered with them. N: sent messages are not stored (the "
        "sequence numbers still are, so a restart continues them) and a ResendRequest is answered with one "
        "SequenceReset-GapFill.",
        _SAME,
    ),
    _k(
        "PersistenceMode",
        v.enum(("sync", "group", "write_behind")),
        "group",
        "sync: store each message before sending it; group: store messages of the same moment in one "
        "transaction, then send; write_behind: send at once and store in batches shortly after.",
    ),
    _k("FileLogPath", v.PATH, None, "Directory for message logs; no message log when not set.", _SAME),
)

_AUTH_TLS = (
    _k("Username", v.TEXT, None, "Username(553) sent on Logon.", None),
    _k(
        "Password",
        v.SECRET,
        None,
        "Password(554) sent on Logon; write it ENC:... (see `pyfixmsg-plus encrypt`).",
        None,
    ),
    _k("SocketUseSSL", v.BOOLEAN, "N", "TLS on the connection (TLS 1.2 or later).", _SAME, "use_tls"),
    _k(
        "SSLCertificate",
        v.PATH,
        None,
        "Our certificate (PEM); required for a TLS acceptor.",
        "ServerCertificateFile / ClientCertificateFile",
        "servercertificatefile",
        "clientcertificatefile",
    ),
    _k(
        "SSLPrivateKey",
        v.PATH,
        None,
        "Private key of SSLCertificate (PEM).",
        "ServerCertificateKeyFile / ClientCertificateKeyFile",
        "servercertificatekeyfile",
        "clientcertificatekeyfile",
    ),
    _k("SSLPrivateKeyPassword", v.SECRET, None, "Password of SSLPrivateKey, if it is encrypted."),
    _k(
        "SSLCACertificate",
        v.PATH,
        None,
        "CA certificates (PEM) to verify the peer; system CAs when not set.",
        "CertificationAuthoritiesFile",
        "certificationauthoritiesfile",
    ),
    _k(
        "SSLRequireClientCertificate",
        v.BOOLEAN,
        "N",
        "Acceptor: refuse clients without a valid certificate.",
        "CertificateVerifyLevel",
    ),
    _k("SSLCheckHostname", v.BOOLEAN, "Y", "Initiator: check the server certificate's name."),
    _k(
        "SSLServerName",
        v.TEXT,
        None,
        "Initiator: name expected in the server certificate (SNI); the host when not set.",
    ),
    _k(
        "SSLMinimumVersion",
        v.enum(("TLSv1.2", "TLSv1.3")),
        "TLSv1.2",
        "Oldest TLS version accepted.",
        "SSLProtocol",
    ),
)

_SCHEDULER = (
    _k(
        "schedules",
        v.SCHEDULES,
        "[]",
        'The original project\'s scheduler: [{"time": "HH:MM", "action": "start|stop|reset|reset_start"}], '
        "daily times in the sessions' TimeZone (UTC when not set), applied to every session. start: initiators "
        "connect, acceptors accept Logons; stop: Logout, disconnect, no reconnect, Logons refused until the next "
        "start; reset: both MsgSeqNum back to 1 (a connected session is logged out first and restarted if it "
        "was running); reset_start: reset, then start. At start-up the engine runs when the latest start or "
        "reset_start is later than the latest stop; entries of the same minute run in list order. Excludes "
        "StartTime/EndTime (docs/engine.md, Scheduler).",
        scope=Scope.SCHEDULER,
    ),
)

KEYS: tuple[Key, ...] = tuple(
    key
    if key.quickfix != _SAME
    else Key(
        key.name,
        key.converter,
        key.default,
        key.description,
        key.name,
        key.aliases,
        key.required,
        key.scope,
        key.numbered,
        key.versioned,
    )
    for key in (
        *_IDENTITY,
        *_CONNECTION,
        *_TIMERS,
        *_SEQUENCES,
        *_VALIDATION,
        *_STORE,
        *_AUTH_TLS,
        *_SCHEDULER,
    )
)
GROUPS: tuple[tuple[str, int], ...] = (
    ("Session identity", len(_IDENTITY)),
    ("Connection", len(_CONNECTION)),
    ("Timers and schedule", len(_TIMERS)),
    ("Sequence numbers", len(_SEQUENCES)),
    ("Validation", len(_VALIDATION)),
    ("Message store", len(_STORE)),
    ("Authentication and TLS", len(_AUTH_TLS)),
    ("Scheduler", len(_SCHEDULER)),
)
"""Headings of the reference, with how many consecutive keys of :data:`KEYS` each covers."""

ROLE_ALIASES: dict[str, tuple[str, str]] = {
    "host": ("SocketConnectHost", "SocketAcceptHost"),
    "port": ("SocketConnectPort", "SocketAcceptPort"),
}
"""The original's ``host`` / ``port``: an initiator's connect address, an acceptor's listen address."""

BY_NAME: dict[str, Key] = {key.name: key for key in KEYS}
_BY_LOWER: dict[str, Key] = {}
for _key in KEYS:
    for _word in (_key.name, *_key.aliases):
        _BY_LOWER[_word.lower()] = _key
_NUMBERED = re.compile(r"^(?P<base>[a-z]+?)(?P<index>[1-9][0-9]*)$")


@dataclass(frozen=True, slots=True)
class KeyRef:
    """A key as written, resolved: the schema key (or a role alias) and its failover index (0 = primary)."""

    key: Key | None
    role_alias: str | None = None
    index: int = 0
    version: str | None = None
    """the ``<BeginString>`` of ``AppDataDictionary.<BeginString>``: canonical when it is one of
    :data:`~pyfixmsg_plus.config.app_versions.APPLICATION_VERSIONS`, else as written (an error for check_key)"""

    @property
    def slot(self) -> tuple[str, int]:
        """Identity of the setting inside a section (two spellings of one slot conflict)."""
        name = self.key.name if self.key is not None else f"@{self.role_alias}"
        if self.version is not None:
            name = versioned_name(name, self.version)
        return (name, self.index)

    @property
    def known_version(self) -> bool:
        """False for ``<name>.<suffix>`` whose suffix names no application version."""
        return self.version is None or self.version in APPLICATION_VERSIONS


def versioned_name(name: str, version: str) -> str:
    """``AppDataDictionary``, ``FIX.4.4`` -> ``AppDataDictionary.FIX.4.4``."""
    return f"{name}.{version}"


def lookup(written: str) -> KeyRef | None:
    """Resolve a key as written (any case, alias or ``SocketConnectHost<n>``); None when unknown."""
    word = written.strip().lower()
    if word in _BY_LOWER:
        return KeyRef(_BY_LOWER[word])
    if word in ROLE_ALIASES:
        return KeyRef(None, role_alias=word)
    match = _NUMBERED.match(word)
    if match and match["base"] in _BY_LOWER and _BY_LOWER[match["base"]].numbered:
        return KeyRef(_BY_LOWER[match["base"]], index=int(match["index"]))
    return _versioned(written.strip())


def _versioned(written: str) -> KeyRef | None:
    """``AppDataDictionary.FIX.4.4``: QuickFIX cuts the key at its first dot and reads the rest as a BeginString."""
    base, dot, suffix = written.partition(".")
    key = _BY_LOWER.get(base.lower())
    if not dot or key is None or not key.versioned:
        return None
    return KeyRef(key, version=application_version(suffix) or suffix)


def suggest(written: str, scope: Scope | None = None) -> list[str]:
    """Spellings close to ``written`` (for "did you mean"), best first; an alias shows its canonical key."""
    candidates: dict[str, str] = {}
    for key in KEYS:
        if scope is None or key.scope == scope or (scope is Scope.SESSION and key.scope is Scope.ENGINE):
            candidates.setdefault(key.name.lower(), key.name)
            for alias in key.aliases:
                candidates.setdefault(alias.lower(), f"{alias} (= {key.name})")
    if scope in (None, Scope.SESSION, Scope.ENGINE):
        candidates.update({alias: f"{alias} (= {' or '.join(keys)})" for alias, keys in ROLE_ALIASES.items()})
    close = difflib.get_close_matches(written.strip().lower(), list(candidates), n=3, cutoff=0.6)
    return list(dict.fromkeys(candidates[word] for word in close))
