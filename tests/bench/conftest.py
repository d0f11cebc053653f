"""Fixtures of the benchmark tests."""

from __future__ import annotations

import pytest

from pyfixmsg_plus.bench import peers


@pytest.fixture(scope="module")
def quickfix_peer() -> peers.PeerAvailability:
    """The QuickFIX C++ peer; the test is skipped, with the reason, where it cannot be built."""
    found = peers.find_peer()
    if not found.available:
        pytest.skip(f"QuickFIX C++ peer unavailable: {found.reason}")
    return found
