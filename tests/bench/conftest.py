"""Fixtures shared by the benchmark tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pyfixmsg_plus.bench import peers


@pytest.fixture
def no_peer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """The harness path points nowhere, as in an installed package without the source tree."""
    missing = tmp_path / "nowhere" / "peer.py"
    monkeypatch.setenv(peers.HARNESS_ENV, str(missing))
    peers.find_peer.cache_clear()
    yield missing
    peers.find_peer.cache_clear()
