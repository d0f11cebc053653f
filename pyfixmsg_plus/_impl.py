"""The one place that chooses between a compiled module and its pure-Python twin.

Every module under ``pyfixmsg_plus._speedups`` has a twin listed in :data:`TWINS` with the same functions and
the same results. ``PYFIXMSG_PLUS_NO_EXTENSIONS=1`` (any value but ``''``/``0``/``false``/``no``) forces the
twins. :data:`USING_EXTENSIONS` tells whether the compiled modules are live.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

ENV_VAR = "PYFIXMSG_PLUS_NO_EXTENSIONS"

#: compiled module name -> import path of its pure-Python twin
TWINS: dict[str, str] = {
    "framing": "pyfixmsg_plus.message.framing_py",
    "parser": "pyfixmsg_plus.message.parser_py",
    "encoder": "pyfixmsg_plus.message.encoder_py",
    "storepack": "pyfixmsg_plus.store.pack_py",
    "seqcheck": "pyfixmsg_plus.session.seqcheck_py",
    "fastpath": "pyfixmsg_plus.session.fastpath_py",
    "possdup": "pyfixmsg_plus.session.possdup_py",
}


def extensions_disabled() -> bool:
    """True when the environment forces the pure-Python twins."""
    return os.environ.get(ENV_VAR, "").strip().lower() not in ("", "0", "false", "no")


def compiled(name: str) -> ModuleType | None:
    """The compiled module ``name``, or None when it was not built (or fails to import)."""
    try:
        return importlib.import_module(f"pyfixmsg_plus._speedups.{name}")
    except ImportError:
        return None


def pure(name: str) -> ModuleType:
    """The pure-Python twin of ``name``."""
    return importlib.import_module(TWINS[name])


def load(name: str) -> ModuleType:
    """The implementation of ``name`` that the package uses: compiled when available and allowed.

    The choice is made on the first call for ``name`` and kept (hot paths call this per message: reading the
    environment and the import system each time cost 1.5 us), as :data:`USING_EXTENSIONS` is fixed at import."""
    module = _loaded.get(name)
    if module is None:
        module = _loaded[name] = _choose(name, extensions_disabled())
    return module


_loaded: dict[str, ModuleType] = {}


def _choose(name: str, disabled: bool) -> ModuleType:
    if not disabled:
        module = compiled(name)
        if module is not None:
            return module
    return pure(name)


def compiled_available() -> bool:
    """True when every compiled module was built and imports."""
    return all(compiled(name) is not None for name in TWINS)


USING_EXTENSIONS: bool = not extensions_disabled() and compiled_available()
