#!/usr/bin/env bash
# Machine setup for Wijkmonitor on Debian 12: system packages and the Python environment (.venv).
#
# Idempotent and quick on a second run: apt is only touched when a package is missing, and
# pip only runs when pyproject.toml or requirements.lock is newer than the stamp in .venv.
# Python packages come from requirements.lock, every file checked against its sha256 hash
# (regenerate the lock with scripts/lock.sh); the project itself is installed without deps.
# As root it installs the packages; as another user it uses sudo when present, else it warns.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

APT_PACKAGES=(
    chromium
    chromium-driver
    postgresql-15-postgis-3
    poppler-utils
    gdal-bin
    fonts-dejavu-core
    python3.11-venv
)
VENV=.venv
STAMP="$VENV/.wijkmonitor-setup.stamp"

say() { printf '==> %s\n' "$*"; }
warn() { printf 'WAARSCHUWING: %s\n' "$*" >&2; }

is_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# --- System packages -------------------------------------------------------------------------
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
    for pkg in "${APT_PACKAGES[@]}"; do
        is_installed "$pkg" || missing+=("$pkg")
    done
else
    warn "geen dpkg gevonden (geen Debian?); installeer zelf: ${APT_PACKAGES[*]}"
fi

if ((${#missing[@]})); then
    say "Systeempakketten installeren: ${missing[*]}"
    sudo_cmd=()
    can_install=1
    if [[ $(id -u) -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1; then
            # Without a terminal, sudo must not wait for a password that nobody types.
            if [[ -t 0 ]]; then sudo_cmd=(sudo); else sudo_cmd=(sudo -n); fi
        else
            can_install=0
        fi
    fi
    if ((can_install)) && ((${#sudo_cmd[@]} == 0)); then
        apt_env=(env DEBIAN_FRONTEND=noninteractive)
        "${apt_env[@]}" apt-get update -q </dev/null
        "${apt_env[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
    elif ((can_install)); then
        apt_env=("${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive)
        { "${apt_env[@]}" apt-get update -q &&
            "${apt_env[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"; } </dev/null ||
            warn "installeren via sudo mislukt; installeer zelf met apt-get: ${missing[*]}"
    else
        warn "geen root en geen sudo: installeer zelf met apt-get: ${missing[*]}"
    fi
else
    say "Systeempakketten aanwezig."
fi

# --- Python environment ----------------------------------------------------------------------
find_python() {
    local candidate
    for candidate in python3.11 /usr/bin/python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

if [[ ! -x $VENV/bin/python ]] || ! "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
    python=$(find_python) || {
        echo "FOUT: Python 3.11 niet gevonden (apt-get install python3.11 python3.11-venv)." >&2
        exit 1
    }
    say "Python-omgeving aanmaken ($VENV met $python)..."
    rm -rf "$VENV"
    "$python" -m venv "$VENV"
    rm -f "$STAMP"
fi

if [[ ! -f $STAMP || pyproject.toml -nt $STAMP || requirements.lock -nt $STAMP ]]; then
    say "Python-omgeving bijwerken (requirements.lock, hashes gecontroleerd)..."
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --require-hashes \
        -r requirements.lock
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps -e .
    touch "$STAMP"
else
    say "Python-omgeving is bij."
fi
