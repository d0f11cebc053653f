"""Configuration: QuickFIX-style INI (or the original ``[FIX]`` layout), environment overrides, validation and
encrypted secrets, giving one typed :class:`SessionSettings` per session.

>>> from pyfixmsg_plus.config import ConfigManager
>>> config = ConfigManager("examples/initiator.ini")      # doctest: +SKIP
>>> [s.session_id for s in config.sessions()]              # doctest: +SKIP
['FIX.4.4:CLIENT1->EXECUTOR']
"""

from pyfixmsg_plus.config.errors import ConfigError, SecretError
from pyfixmsg_plus.config.manager import ConfigManager
from pyfixmsg_plus.config.secrets import Secret, generate_key
from pyfixmsg_plus.config.settings import (
    Address,
    ConnectionType,
    EngineSettings,
    PersistenceMode,
    ScheduleAction,
    ScheduleEntry,
    SessionSettings,
    SlowConsumerAction,
    StoreType,
)

__all__ = [
    "Address",
    "ConfigError",
    "ConfigManager",
    "ConnectionType",
    "EngineSettings",
    "PersistenceMode",
    "ScheduleAction",
    "ScheduleEntry",
    "Secret",
    "SecretError",
    "SessionSettings",
    "SlowConsumerAction",
    "StoreType",
    "generate_key",
]
