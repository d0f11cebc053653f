"""``bench --plot``: a valid PNG from live rows, and a clear error naming the install command without matplotlib."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from pyfixmsg_plus.bench.live.driver_process import free_port
from pyfixmsg_plus.bench.live.plot import INSTALL_HINT, PlotUnavailable, require_matplotlib, write_plot
from pyfixmsg_plus.bench.live.results import QUICKFIX, LatencySummary, LiveResult
from pyfixmsg_plus.bench.live.roundtrip import echo_floor
from pyfixmsg_plus.bench.live.scale import OUR_ROW, idle_scenario
from pyfixmsg_plus.cli.main import main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def latency_row(implementation: str, median_ns: float, seed: int) -> LiveResult:
    samples = np.random.default_rng(seed).lognormal(np.log(median_ns), 0.3, 2_000).astype(np.int64)
    return LiveResult("round trip D->8", implementation, samples.size, float(samples.sum()) / 1e9,
                      latency=LatencySummary.from_nanoseconds(samples), samples_ns=samples)  # fmt: skip


def sample_results() -> list[LiveResult]:
    return [
        LiveResult("inbound blast", QUICKFIX, 20_000, 0.3),
        LiveResult("inbound blast", "pyfixmsg-plus acceptor, memory store", 20_000, 1.2),
        LiveResult("outbound blast", QUICKFIX, unavailable="no peer"),
        latency_row(QUICKFIX, 32_000, 1),
        latency_row("pyfixmsg-plus initiator, memory store", 200_000, 2),
    ]


def test_write_plot_draws_a_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    path = write_plot(sample_results(), tmp_path / "img" / "bench.png")
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000


def test_write_plot_draws_latency_alone(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    path = write_plot(sample_results()[3:], tmp_path / "latency.png")
    assert path.read_bytes().startswith(PNG_SIGNATURE)


def test_nothing_to_draw_is_an_error_naming_the_path(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    rows = [LiveResult(idle_scenario(5), OUR_ROW, 10, 1.0), LiveResult("inbound blast", QUICKFIX, unavailable="x")]
    with pytest.raises(ValueError, match=r"empty\.png: no throughput or latency rows"):
        write_plot(rows, tmp_path / "empty.png")
    assert not (tmp_path / "empty.png").exists()


def test_without_matplotlib_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now raises ImportError
    with pytest.raises(PlotUnavailable, match=r"pip install 'pyfixmsg-plus\[bench\]'"):
        require_matplotlib()


def test_bench_plot_fails_before_measuring_without_matplotlib(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(SystemExit) as stopped:
        main(["bench", "roundtrip", "--plot", str(tmp_path / "x.png")])
    assert INSTALL_HINT in str(stopped.value.code)
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("scenario", ["wire", "scale"])
def test_bench_plot_refuses_scenarios_without_rates_or_latencies(scenario: str, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["bench", scenario, "--plot", str(tmp_path / "x.png")])
    assert f"`{scenario}` has neither" in str(stopped.value.code)


def test_round_trip_rows_keep_their_samples() -> None:
    row = echo_floor(50, free_port(), None)
    assert row.samples_ns is not None and row.samples_ns.size == 50
    assert row.latency is not None and row.latency.max_us == pytest.approx(row.samples_ns.max() / 1e3)
