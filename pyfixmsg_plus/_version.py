"""The package version, kept in one place (read by setup tooling and at run time)."""

__version__ = "0.1.0"
