"""``from pyfixmsg_plus.fixengine.configmanager import ConfigManager``: the original import path."""

from pyfixmsg_plus.config import ConfigError, ConfigManager, Secret, SecretError

__all__ = ["ConfigError", "ConfigManager", "Secret", "SecretError"]
