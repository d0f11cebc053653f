"""Build script: compiles the Cython hot paths in ``_speedups/`` into ``pyfixmsg_plus._speedups.*``.

The extensions are optional. With ``PYFIXMSG_PLUS_NO_EXTENSIONS=1`` at build time, or when Cython or a working
C compiler is missing, the package installs pure Python and the twins in ``pyfixmsg_plus`` are used at run time.
``PYFIXMSG_PLUS_BOUNDS_CHECK=1`` builds with Cython bounds checks forced on and AddressSanitizer flags, for fuzzing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).parent
SPEEDUPS = HERE / "_speedups"


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


class OptionalBuildExt(build_ext):
    """Builds extensions, but falls back to the pure-Python package when compilation fails."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:
            self._warn(exc)

    def build_extension(self, ext) -> None:  # type: ignore[no-untyped-def]
        try:
            super().build_extension(ext)
        except Exception as exc:
            self._warn(exc)

    @staticmethod
    def _warn(exc: BaseException) -> None:
        sys.stderr.write(
            f"WARNING: pyfixmsg-plus compiled extensions not built ({exc}); the pure-Python twins will be used.\n"
        )


def _extensions(only: list[str] | None = None) -> list:
    """The compiled modules to build (all of ``_speedups/*.pyx``, or just the names in ``only``)."""
    if _env_flag("PYFIXMSG_PLUS_NO_EXTENSIONS"):
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        sys.stderr.write("WARNING: Cython not found; installing pyfixmsg-plus without compiled extensions.\n")
        return []
    from setuptools import Extension

    bounds_check = _env_flag("PYFIXMSG_PLUS_BOUNDS_CHECK")
    compile_args = ["-O3"]
    link_args: list[str] = []
    directives = {"language_level": "3", "embedsignature": True}
    if bounds_check:
        compile_args = ["-O1", "-g", "-fsanitize=address", "-fno-omit-frame-pointer"]
        link_args = ["-fsanitize=address"]
        directives.update({"boundscheck": True, "wraparound": True})
    elif sys.platform == "darwin":
        link_args = ["-Wl,-S,-x"]  # Apple's linker ignores -s: strip debug info and local symbols
    elif sys.platform != "win32":
        link_args = ["-s"]  # strip debug info from release builds
    if sys.platform == "win32":
        compile_args = ["/O2"]
    extensions = [
        Extension(
            f"pyfixmsg_plus._speedups.{pyx.stem}",
            [str(pyx.relative_to(HERE))],
            extra_compile_args=compile_args,
            extra_link_args=link_args,
        )
        for pyx in sorted(SPEEDUPS.glob("*.pyx"))
        if only is None or pyx.stem in only
    ]
    return list(
        cythonize(
            extensions,
            compiler_directives=directives,
            # always regenerate: the C of a bounds-checked build must never be reused by a release build
            force=True,
            quiet=True,
            nthreads=os.cpu_count() or 1,
        )
    )


if __name__ == "__main__":
    setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
