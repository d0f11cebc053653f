#!/usr/bin/env bash
# The whole test suite, from a fresh machine: creates .venv, installs the package with its test extras (building the
# compiled extensions), checks lint and types, then runs every test twice: with the compiled extensions and with
# the pure-Python twins (PYFIXMSG_PLUS_NO_EXTENSIONS=1, with line coverage, which must stay >= 90%), and finally
# builds the sdist and both wheels and checks each installed in a clean venv (SKIP_WHEEL_CHECK=1 skips that).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}

step() { printf '\n=== %s ===\n' "$*"; }

step "environment"
# the QuickFIX C++ peer for interop tests (Debian package; needs root or sudo, skipped with a note otherwise)
bash scripts/install_quickfix.sh || echo "NOTE: QuickFIX could not be installed; the interop tests will fail"
# in CI the interop tests must run for real: a missing QuickFIX peer fails them instead of skipping them
if [ -n "${CI:-}" ]; then export PYFIXMSG_PLUS_REQUIRE_INTEROP=1; fi
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
# shellcheck disable=SC1091
. "$VENV/bin/activate"
python -m pip install -q --upgrade pip
python -m pip install -q "setuptools>=77" wheel "Cython>=3.0"
python -m pip install -q -e ".[test,bench]" --no-build-isolation
python setup.py -q build_ext --inplace
python -c "import pyfixmsg_plus as p, sys; print('USING_EXTENSIONS =', p.USING_EXTENSIONS); sys.exit(0 if p.USING_EXTENSIONS else 1)"

step "lint and types"
ruff check .
mypy

step "tests: compiled extensions"
python -m pytest -q -p no:cacheprovider --benchmark-disable "$@" | tee /tmp/pyfixmsg-plus-compiled.log
compiled_summary=$(tail -n 1 /tmp/pyfixmsg-plus-compiled.log)

step "tests: pure-Python twins (PYFIXMSG_PLUS_NO_EXTENSIONS=1), with coverage"
PYFIXMSG_PLUS_NO_EXTENSIONS=1 python -m pytest -q -p no:cacheprovider --benchmark-disable \
    --cov=pyfixmsg_plus --cov-report=term:skip-covered --cov-fail-under=90 "$@" | tee /tmp/pyfixmsg-plus-pure.log
pure_summary=$(grep -E '(passed|failed)' /tmp/pyfixmsg-plus-pure.log | tail -n 1)

if [ "${SKIP_WHEEL_CHECK:-0}" != "1" ]; then
    step "wheels: sdist, manylinux and pure wheels installed with no compiler"
    bash scripts/check_wheel.sh
fi

step "summary"
echo "compiled: $compiled_summary"
echo "pure:     $pure_summary"
