"""Generate the built-in compact dictionaries from QuickFIX XML data dictionaries.

Usage: ``python3 scripts/gen_dictionaries.py [--spec-dir ../shared/spec] [--out pyfixmsg_plus/message/data]``

Writes FIX.4.0 to FIX.4.4, FIXT.1.1, and FIX.5.0, 5.0SP1 and 5.0SP2 (each merged with FIXT.1.1's header,
trailer and admin messages) as gzip'd JSON. Output is reproducible byte for byte, so regenerating without XML
changes leaves git clean.
The XML files are inputs only and are not part of the repository.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pyfixmsg_plus.message import dictionary  # noqa: E402 - after the path set-up above

#: built-in name -> (application XML, transport XML or None)
SOURCES: dict[str, tuple[str, str | None]] = {
    "FIX.4.0": ("FIX40.xml", None),
    "FIX.4.1": ("FIX41.xml", None),
    "FIX.4.2": ("FIX42.xml", None),
    "FIX.4.3": ("FIX43.xml", None),
    "FIX.4.4": ("FIX44.xml", None),
    "FIXT.1.1": ("FIXT11.xml", None),
    "FIX.5.0": ("FIX50.xml", "FIXT11.xml"),
    "FIX.5.0SP1": ("FIX50SP1.xml", "FIXT11.xml"),
    "FIX.5.0SP2": ("FIX50SP2.xml", "FIXT11.xml"),
}


def generate(spec_dir: Path, out_dir: Path) -> list[Path]:
    """Write every built-in dictionary of :data:`SOURCES` into ``out_dir``; returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (application, transport) in SOURCES.items():
        raw = dictionary.read_xml(spec_dir / application)
        if transport is not None:
            raw = dictionary.merge_transport(raw, dictionary.read_xml(spec_dir / transport))
        target = out_dir / dictionary.BUILTIN_FILES[name]
        dictionary.write_compact(raw, target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--spec-dir", type=Path, default=ROOT.parent / "shared" / "spec", help="QuickFIX XML folder"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "pyfixmsg_plus" / "message" / "data")
    args = parser.parse_args(argv)
    if not args.spec_dir.is_dir():
        parser.error(f"--spec-dir {args.spec_dir} is not a directory")
    for path in generate(args.spec_dir, args.out):
        print(f"{path} {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
