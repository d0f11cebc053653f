"""From raw sections to typed settings: key lookup, ``[DEFAULT]`` merging, conversion and secrets.

Precedence, lowest first: the schema default, ``[DEFAULT]``, the session's own section (``[SESSION]`` or
``[FIX]``). Environment overrides have already been written into the raw sections by then. Rules between keys
live in :mod:`pyfixmsg_plus.config.checks`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyfixmsg_plus.config import checks, schema
from pyfixmsg_plus.config.app_versions import APPLICATION_VERSIONS
from pyfixmsg_plus.config.errors import ConfigError, Location
from pyfixmsg_plus.config.ini import RawSection, RawValue
from pyfixmsg_plus.config.schema import Key, KeyRef, Scope
from pyfixmsg_plus.config.secrets import MASK, Secret, SecretKey, decrypt, is_encrypted
from pyfixmsg_plus.config.settings import (
    Address,
    ConnectionType,
    EngineSettings,
    PersistenceMode,
    ScheduleEntry,
    SessionSettings,
    SlowConsumerAction,
    StoreType,
)

_SCOPES_OF_SECTION: dict[str, tuple[Scope, ...]] = {
    "DEFAULT": (Scope.SESSION, Scope.ENGINE),
    "FIX": (Scope.SESSION, Scope.ENGINE),
    "SESSION": (Scope.SESSION,),
    "Scheduler": (Scope.SCHEDULER,),
}
_TYPED_ENUMS = {
    "connection_type": ConnectionType,
    "store_type": StoreType,
    "persistence_mode": PersistenceMode,
    "slow_consumer_action": SlowConsumerAction,
}

Slots = dict[tuple[str, int], tuple[KeyRef, RawValue, str]]
"""setting slot -> (resolved key, raw value, label of the section it came from)"""


def check_key(section_kind: str, written: str, where: Location) -> KeyRef:
    """Resolve a key written in a section of ``section_kind``; ConfigError for unknown or misplaced keys."""
    ref = schema.lookup(written)
    allowed = _SCOPES_OF_SECTION[section_kind]
    if ref is None:
        scope = allowed[0]
        close = schema.suggest(written, scope)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        raise ConfigError(f"unknown key{hint} (docs/configuration.md lists every key)", where)
    scope = ref.key.scope if ref.key is not None else Scope.SESSION
    if scope not in allowed:
        homes = {
            Scope.ENGINE: "[DEFAULT] (it applies to the whole engine)",
            Scope.SCHEDULER: "[Scheduler]",
            Scope.SESSION: "[DEFAULT], [SESSION] or [FIX]",
        }
        raise ConfigError(f"this key does not belong in [{section_kind}]; put it in {homes[scope]}", where)
    if ref.index and ref.key is not None and not ref.key.numbered:  # pragma: no cover - lookup prevents it
        raise ConfigError("this key takes no number suffix", where)
    if not ref.known_version and ref.key is not None:
        valid = ", ".join(APPLICATION_VERSIONS)
        raise ConfigError(
            f"the suffix {ref.version!r} names no FIX application version; valid suffixes: {valid} "
            f"(e.g. {schema.versioned_name(ref.key.name, 'FIX.4.4')})",
            where,
        )
    return ref


def shown(ref: KeyRef, text: str) -> str:
    """The value as it may appear in a message: secrets and encrypted values are masked."""
    secret = ref.key is not None and ref.key.converter.secret
    return MASK if secret or is_encrypted(text) else text


def section_slots(section: RawSection) -> Slots:
    """The settings of one section by slot; two spellings of one setting with different values conflict."""
    slots: Slots = {}
    for raw in section.values.values():
        ref = check_key(section.kind, raw.written, Location(raw.source, section.label, raw.written))
        earlier = slots.get(ref.slot)
        if earlier is not None and earlier[1].text != raw.text:
            raise ConfigError(
                f"conflicts with {earlier[1].written} = {shown(ref, earlier[1].text)!r} "
                f"({earlier[1].source}); "
                "both name the same setting, keep one",
                Location(raw.source, section.label, raw.written),
                shown(ref, raw.text),
            )
        slots[ref.slot] = (ref, raw, section.label)
    return slots


def _place_role_aliases(slots: Slots, role: ConnectionType) -> Slots:
    """Move the original's ``host``/``port`` onto the connect or accept key, by the session's role."""
    placed: Slots = {}
    for slot, entry in slots.items():
        ref, raw, label = entry
        if ref.role_alias is None:
            placed[slot] = entry
            continue
        connect, accept = schema.ROLE_ALIASES[ref.role_alias]
        target = schema.BY_NAME[connect if role is ConnectionType.INITIATOR else accept]
        other = slots.get((target.name, 0))
        if other is not None and other[1].text != raw.text:
            raise ConfigError(
                f"conflicts with {other[1].written} = {other[1].text!r} ({other[1].source}); "
                f"for an {role.value} both set {target.name}, keep one",
                Location(raw.source, label, raw.written),
                raw.text,
            )
        placed.setdefault((target.name, 0), (KeyRef(target), raw, label))
    return placed


@dataclass(slots=True)
class _Converter:
    """Converts raw values to typed ones, decrypting ``ENC:`` secrets with ``secret_key``."""

    secret_key: SecretKey | None

    def value(self, key: Key, raw: RawValue, label: str) -> object:
        where = Location(raw.source, label, raw.written)
        text = raw.text
        if not text and key.default is None and not key.required:
            return None  # `Key =` with nothing after it: not set
        if is_encrypted(text):
            if not key.converter.secret:
                secret_names = ", ".join(k.name for k in schema.KEYS if k.converter.secret)
                raise ConfigError(f"only secret keys ({secret_names}) may hold ENC: values", where, MASK)
            return Secret(decrypt(text, self.secret_key, where))
        try:
            return key.converter.parse(text)
        except ValueError as exc:
            problem = str(exc) if "expected" in str(exc) else f"{exc}; expected {key.converter.type_doc}"
            raise ConfigError(problem, where, shown(KeyRef(key), text)) from None

    def default(self, key: Key) -> object:
        return None if key.default is None else key.converter.parse(key.default)


def _connection_type(layers: list[Slots], convert: _Converter) -> ConnectionType:
    key = schema.BY_NAME["ConnectionType"]
    for slots in reversed(layers):
        entry = slots.get((key.name, 0))
        if entry is not None:
            return ConnectionType(str(convert.value(key, entry[1], entry[2])))
    return ConnectionType(str(convert.default(key)))


def resolve_session(default: RawSection | None, section: RawSection, convert: _Converter) -> SessionSettings:
    """Typed settings of one session from its section over ``[DEFAULT]``."""
    layers = [section_slots(default)] if default is not None else []
    layers.append(section_slots(section))
    role = _connection_type(layers, convert)
    merged: Slots = {}
    for slots in layers:
        merged.update(_place_role_aliases(slots, role))
    fields: dict[str, object] = {}
    for key in schema.KEYS:
        if key.scope is not Scope.SESSION:
            continue
        entry = merged.get((key.name, 0))
        if entry is None:
            if key.required:
                raise ConfigError(
                    f"missing required key {key.name}: {key.description}", section.location(key.name)
                )
            fields[key.attr] = convert.default(key)
        else:
            fields[key.attr] = convert.value(key, entry[1], entry[2])
    for attr, enum_type in _TYPED_ENUMS.items():
        fields[attr] = enum_type(str(fields[attr]))
    fields["failover_addresses"] = _failover_addresses(merged, section, convert)
    fields["app_data_dictionaries"] = _versioned_dictionaries(merged, convert)
    checks.check_session(fields, section)
    return SessionSettings(**fields)  # type: ignore[arg-type]


def _failover_addresses(merged: Slots, section: RawSection, convert: _Converter) -> tuple[Address, ...]:
    """SocketConnectHost<n>/SocketConnectPort<n> for n = 1, 2, ... without gaps (QuickFIX failover)."""
    host_key, port_key = schema.BY_NAME["SocketConnectHost"], schema.BY_NAME["SocketConnectPort"]
    indexes = sorted({index for (name, index) in merged if index and name in (host_key.name, port_key.name)})
    addresses = []
    for expected, index in enumerate(indexes, start=1):
        host, port = merged.get((host_key.name, index)), merged.get((port_key.name, index))
        if index != expected or host is None or port is None:
            missing = (
                f"{host_key.name}{expected}"
                if index != expected or host is None
                else f"{port_key.name}{expected}"
            )
            raise ConfigError(
                "failover addresses must come in numbered pairs 1, 2, 3, ... without gaps; "
                f"{missing} is missing",
                section.location(f"{host_key.name}{index}/{port_key.name}{index}"),
            )
        host_text = str(convert.value(host_key, host[1], host[2]))
        addresses.append(Address(host_text, int(str(convert.value(port_key, port[1], port[2])))))
    return tuple(addresses)


def _versioned_dictionaries(merged: Slots, convert: _Converter) -> tuple[tuple[str, Path], ...]:
    """``AppDataDictionary.<BeginString>`` values as (BeginString, path) in version order; an empty value
    (``AppDataDictionary.FIX.4.4 =``) is not set."""
    found = {}
    for ref, raw, label in merged.values():
        if ref.key is not None and ref.version is not None:
            path = convert.value(ref.key, raw, label)
            if path is not None:
                assert isinstance(path, Path)
                found[ref.version] = path
    return tuple((version, found[version]) for version in APPLICATION_VERSIONS if version in found)


def resolve_engine(sections: list[RawSection], convert: _Converter) -> EngineSettings:
    """Engine-wide settings from ``[DEFAULT]``, ``[FIX]`` (wins) and ``[Scheduler]``."""
    fields: dict[str, object] = {}
    for key in schema.KEYS:
        if key.scope is Scope.SESSION:
            continue
        fields[key.attr] = convert.default(key)
        for section in sections:
            entry = section_slots(section).get((key.name, 0))
            if entry is not None:
                fields[key.attr] = convert.value(key, entry[1], entry[2])
    schedules = fields["schedules"]
    assert isinstance(schedules, tuple) and all(isinstance(s, ScheduleEntry) for s in schedules)
    metrics_port = fields["metrics_port"]
    return EngineSettings(
        use_uvloop=bool(fields["use_uvloop"]), schedules=schedules, gc_freeze=bool(fields["gc_freeze"]),
        metrics_port=None if metrics_port is None else int(str(metrics_port)),
        metrics_address=str(fields["metrics_address"]),
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Resolved:
    """The validated configuration."""

    sessions: tuple[SessionSettings, ...]
    engine: EngineSettings


def resolve(sections: list[RawSection], secret_key: SecretKey | None, origin: str) -> Resolved:
    """Validate every section and build typed settings; ``origin`` names the file (or code) for messages."""
    default = next((s for s in sections if s.kind == "DEFAULT"), None)
    sessions_raw = [s for s in sections if s.kind in ("SESSION", "FIX")]
    if not sessions_raw:
        raise ConfigError(
            "defines no session: add a [SESSION] section (QuickFIX layout) or a [FIX] section "
            "(the original layout) with SenderCompID and TargetCompID",
            Location(origin),
        )
    convert = _Converter(secret_key)
    sessions = tuple(resolve_session(default, section, convert) for section in sessions_raw)
    checks.check_unique_ids(sessions, sessions_raw)
    engine_sections = [s for s in sections if s.kind in ("DEFAULT", "FIX", "Scheduler")]
    engine_sections.sort(key=lambda s: ("DEFAULT", "FIX", "Scheduler").index(s.kind))
    engine = resolve_engine(engine_sections, convert)
    scheduler = next((s for s in sections if s.kind == "Scheduler"), None)
    checks.check_scheduler(engine.schedules, sessions, sessions_raw, scheduler)
    return Resolved(sessions, engine)
