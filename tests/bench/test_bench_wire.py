"""`bench wire`: every case times the corpus, except simplefix's whole-stream row, which is capped (its parser's
time grows with the square of the buffer) and counts only the messages it was fed."""

from __future__ import annotations

import pytest

from pyfixmsg_plus.bench import wire
from pyfixmsg_plus.bench.corpus import generate, stream

pytest.importorskip("simplefix")


def test_the_whole_stream_row_is_capped_and_counts_what_it_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wire, "WHOLE_STREAM_MAX", 5)
    results = wire.run_wire(count=12, repeat=1)
    by_row = {(m.operation, m.implementation): m for m in results}
    whole = by_row[("parse to message", "simplefix, whole stream")]
    assert (whole.messages, whole.nbytes) == (5, len(stream(generate(12, seed=44)[:5])))
    reads = by_row[("parse to message", "simplefix")]
    assert (reads.messages, reads.nbytes) == (12, len(stream(generate(12, seed=44))))
    assert all(m.messages == 12 for m in results if m.implementation != "simplefix, whole stream")


def test_a_corpus_under_the_cap_is_fed_whole() -> None:
    results = wire.run_wire(count=8, repeat=1)
    whole = next(m for m in results if m.implementation == "simplefix, whole stream")
    assert whole.messages == 8
