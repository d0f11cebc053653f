"""Locating the QuickFIX C++ peer (``qfpeer``) for the live benchmarks.

The peer's harness, ``tests/interop/peer.py``, lives in the source tree and is not installed with the package. It is
imported by path: from ``$PYFIXMSG_PLUS_PEER_HARNESS`` when set, else from the source checkout this package was
imported from. When the harness, the QuickFIX headers or a compiler are missing, :func:`find_peer` says why, and the
benchmarks report the peer rows as unavailable with that reason instead of failing.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

HARNESS_ENV = "PYFIXMSG_PLUS_PEER_HARNESS"
#: the harness relative to the root of a source checkout
HARNESS_IN_SOURCE_TREE = Path("tests") / "interop" / "peer.py"
#: the module name the harness is registered under (its own tests import it as ``peer``)
HARNESS_MODULE = "pyfixmsg_plus_qfpeer_harness"


@dataclass(frozen=True)
class PeerAvailability:
    """The harness module and the built peer binary, or the reason the peer cannot run here."""

    harness: ModuleType | None
    binary: Path | None
    reason: str = ""

    @property
    def available(self) -> bool:
        return self.harness is not None and self.binary is not None

    def peer(self, mode: str, **options: Any) -> Any:
        """A not yet started ``QuickFixPeer(mode, **options)``; RuntimeError naming the reason when unavailable."""
        if self.harness is None or self.binary is None:
            raise RuntimeError(f"QuickFIX peer unavailable: {self.reason}")
        return self.harness.QuickFixPeer(mode, binary=self.binary, **options)

    def free_port(self) -> int:
        """A free TCP port on 127.0.0.1 (the harness's helper)."""
        if self.harness is None:
            raise RuntimeError(f"QuickFIX peer unavailable: {self.reason}")
        return int(self.harness.free_port())


def harness_path() -> Path | None:
    """Where ``peer.py`` is: ``$PYFIXMSG_PLUS_PEER_HARNESS`` if set, else the source tree's copy; None if absent."""
    configured = os.environ.get(HARNESS_ENV)
    if configured:
        path = Path(configured)
        return path if path.is_file() else None
    # pyfixmsg_plus/bench/peers.py -> the checkout's root is three levels up
    in_tree = Path(__file__).resolve().parents[2] / HARNESS_IN_SOURCE_TREE
    return in_tree if in_tree.is_file() else None


def _import_by_path(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(HARNESS_MODULE, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import the peer harness from {path}")
    module = importlib.util.module_from_spec(spec)
    # registered before executing: the harness's dataclasses look their module up in sys.modules
    sys.modules[HARNESS_MODULE] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[HARNESS_MODULE]
        raise
    return module


@functools.cache
def find_peer() -> PeerAvailability:
    """The harness and the peer binary (compiled on first use, about 15 s, then cached), or why not."""
    path = harness_path()
    if path is None:
        where = os.environ.get(HARNESS_ENV) or f"<source checkout>/{HARNESS_IN_SOURCE_TREE}"
        return PeerAvailability(None, None, f"peer harness not found at {where} (set ${HARNESS_ENV} to peer.py)")
    try:
        harness = _import_by_path(path)
    except Exception as exc:  # a broken harness is a reason to skip the peer, not to stop the benchmarks
        return PeerAvailability(None, None, f"importing the peer harness {path} failed: {exc}")
    binary = harness.build_peer()
    if binary is None:
        return PeerAvailability(harness, None, str(harness.peer_unavailable_reason()))
    return PeerAvailability(harness, Path(binary))
