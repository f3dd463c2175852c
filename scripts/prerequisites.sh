#!/bin/sh
# What `make` needs from the machine, installed when it is missing.
#   venv: Python's venv module (Debian's python3-venv), for .venv
#   test: Debian's chromium (the console's browser tests drive /usr/bin/chromium, never a
#         downloaded browser) and PostgreSQL's server binaries (initdb, pg_ctl: the tests start
#         a throwaway server of their own; they never use one the machine already runs)
# As root it installs what is missing with apt-get; otherwise it prints the command and stops.
set -eu

missing=""
for need in "$@"; do
    case "$need" in
    venv)
        python3 -c "import ensurepip, venv" 2>/dev/null || missing="$missing python3-venv"
        ;;
    test)
        [ -x /usr/bin/chromium ] || missing="$missing chromium"
        if [ -z "${DECONFLICT_TEST_POSTGRES:-}" ] \
            && ! [ -x "${DECONFLICT_TEST_PG_BIN:-/nonexistent}/pg_ctl" ] \
            && ! command -v pg_ctl >/dev/null 2>&1 \
            && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
            missing="$missing postgresql"
        fi
        ;;
    *)
        echo "prerequisites.sh: unknown need '$need' (venv or test)" >&2
        exit 2
        ;;
    esac
done
[ -z "$missing" ] && exit 0

packages="${missing# }"
command="apt-get update && apt-get install -y $packages"
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "This needs $packages, which the machine lacks. Install it, then run make again:" >&2
    echo "    sudo sh -c '$command'" >&2
    exit 1
fi
echo "Installing $packages with apt-get (once; a few minutes)..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq -o DPkg::Lock::Timeout=600
# shellcheck disable=SC2086 # one word per package
apt-get install -y -qq -o DPkg::Lock::Timeout=600 $packages >/dev/null
echo "Installed $packages." >&2
