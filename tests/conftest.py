"""Shared fixtures. ``impl`` runs a test once per available implementation (compiled and pure).

With PYFIXMSG_PLUS_NO_EXTENSIONS set only the pure twins are tested, which is how CI runs the pure pass.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pyfixmsg_plus import _impl
from pyfixmsg_plus.bench.live import qfpy_harness

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


def _available() -> list[str]:
    if _impl.extensions_disabled() or not _impl.compiled_available():
        return ["pure"]
    return ["compiled", "pure"]


IMPLEMENTATIONS = _available()


class Impl(types.SimpleNamespace):
    """The modules of one implementation: ``impl.framing``, ``impl.parser``, ``impl.encoder``, ..."""

    name: str

    def __getattr__(self, module: str) -> types.ModuleType:
        if module.startswith("_") or module not in _impl.TWINS:
            raise AttributeError(module)
        loader = _impl.compiled if self.name == "compiled" else _impl.pure
        found = loader(module)
        if found is None:
            raise AttributeError(f"no {self.name} module {module!r}")
        return found


@pytest.fixture(params=IMPLEMENTATIONS)
def impl(request: pytest.FixtureRequest) -> Impl:
    return Impl(name=request.param)


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"../shared is not present at {SHARED}; these tests read the reference data there")
    return SHARED


@pytest.fixture
def no_peer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """The QuickFIX peer's harness path points nowhere, as in an installed package without the source tree."""
    from pyfixmsg_plus.bench import peers

    missing = tmp_path / "nowhere" / "peer.py"
    monkeypatch.setenv(peers.HARNESS_ENV, str(missing))
    peers.find_peer.cache_clear()
    yield missing
    peers.find_peer.cache_clear()


@pytest.fixture(scope="module")
def quickfix_peer() -> Any:
    """The QuickFIX C++ peer (a ``PeerAvailability``); skips, with the reason, where it cannot be built."""
    from pyfixmsg_plus.bench import peers

    found = peers.find_peer()
    if not found.available:
        pytest.skip(f"QuickFIX C++ peer unavailable: {found.reason}")
    return found


# --- the QuickFIX Python binding (benchmark and interop peer), present or made absent ---

@pytest.fixture
def no_binding(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """The interpreter said to have the QuickFIX Python binding does not exist, as on a machine without it."""
    missing = tmp_path / "nowhere" / "python"
    monkeypatch.setenv(qfpy_harness.PYTHON_ENV, str(missing))
    qfpy_harness.find_binding.cache_clear()
    yield missing
    qfpy_harness.find_binding.cache_clear()


@pytest.fixture(scope="module")
def binding() -> qfpy_harness.BindingAvailability:
    """The QuickFIX Python binding's interpreter; skips, with the reason, without one (pip install quickfix-ssl)."""
    found = qfpy_harness.find_binding()
    if not found.available:
        pytest.skip(f"QuickFIX Python binding unavailable: {found.reason}")
    return found
