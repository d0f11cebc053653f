#!/usr/bin/env bash
# Installs what the QuickFIX C++ interop peer (tests/interop/peer) needs to build and run on Debian 12:
# libquickfix-dev (QuickFIX 1.15, built with SSL), a C++ compiler, make, and the openssl command for test
# certificates. Idempotent and quiet: does nothing when all are present. Needs root (or sudo) only to install.
set -euo pipefail

missing=()
[ -f /usr/include/quickfix/Application.h ] || missing+=(libquickfix-dev)
command -v g++ >/dev/null 2>&1 || missing+=(g++)
command -v make >/dev/null 2>&1 || missing+=(make)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)

if [ ${#missing[@]} -eq 0 ]; then
    echo "install_quickfix: QuickFIX peer prerequisites already present"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_quickfix: apt-get not found; install ${missing[*]} by hand (the interop tests skip without them)" >&2
    exit 1
fi

run_as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
        echo "install_quickfix: need root to install ${missing[*]}" >&2
        exit 1
    fi
}

export DEBIAN_FRONTEND=noninteractive
started=$(date +%s)
# apt-get update first: on a fresh machine the package lists may be empty or stale.
run_as_root apt-get update -qq
run_as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install_quickfix: installed ${missing[*]} in $(( $(date +%s) - started )) s"
