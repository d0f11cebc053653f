"""Store crash stress: SIGKILL writer processes thousands of times and check the persistence invariants.

    python3 scripts/store_stress.py --kills 1000 [--backends database aiosqlite] [--modes sync group
    write_behind]

The kills are spread evenly over every backend x mode; each prints a summary line, then a TOTAL line with the
reused sequence numbers and lost messages (both must be 0). Exit status 0 when every invariant held.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pyfixmsg_plus.store.crash_harness import KillSummary, run_kill_cycles


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=1000, help="total kills over all backends and modes")
    parser.add_argument("--backends", nargs="+", default=["database", "aiosqlite"])
    parser.add_argument("--modes", nargs="+", default=["sync", "group", "write_behind"])
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument(
        "--max-delay", type=float, default=0.25, help="seconds of sending before a kill, at most"
    )
    args = parser.parse_args(argv)
    cases = [(backend, mode) for backend in args.backends for mode in args.modes]
    total = KillSummary()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="store-stress-") as tmp:
        for index, (backend, mode) in enumerate(cases):
            kills = args.kills // len(cases) + (1 if index < args.kills % len(cases) else 0)
            summary = run_kill_cycles(
                Path(tmp), backend, mode, kills, delay=(0.0, args.max_delay), seed=args.seed + index
            )
            print(summary.line(f"{backend}/{mode}"), flush=True)
            for problem in summary.problems:
                print(f"  {problem}")
            for name in ("kills", "sent", "stored", "reused", "lost", "gap_filled", "unclean_opens"):
                setattr(total, name, getattr(total, name) + getattr(summary, name))
    print(total.line(f"TOTAL ({time.monotonic() - started:.0f} s)"))
    return 0 if total.ok else 1


if __name__ == "__main__":
    sys.exit(main())
