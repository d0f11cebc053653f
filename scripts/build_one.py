"""Build one compiled module in place, for development: ``python scripts/build_one.py framing``.

``setup.py build_ext --inplace`` builds every module; this builds just ``_speedups/<name>.pyx`` so that work on one
module is not blocked by another being edited. Set PYFIXMSG_PLUS_BOUNDS_CHECK=1 for a bounds-checked ASan build.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(names: list[str]) -> None:
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    from setuptools import setup

    import setup as project_setup

    # filtered before cythonize, so another module's half-edited .pyx cannot break this build
    exts = project_setup._extensions(only=names)
    if not exts:
        raise SystemExit(
            f"no extension named {names}; known: {[p.stem for p in (ROOT / '_speedups').glob('*.pyx')]}"
        )
    setup(
        name="pyfixmsg-plus-dev",
        ext_modules=exts,
        # --force: an earlier bounds-checked (ASan) build must never be reused silently by a normal one
        script_args=["build_ext", "--inplace", "--force"],
    )


if __name__ == "__main__":
    main(sys.argv[1:])
