#!/usr/bin/env bash
# The one run command: set up the machine, build the demo database once, serve the dashboard
# with the demo login on http://localhost:8501 (extra arguments go to `wijkmonitor serve`).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

if [[ ! -f wijkmonitor.db ]]; then
    echo "==> Demodatabase bouwen (wijkmonitor.db)..."
    .venv/bin/wijkmonitor demo
fi

exec .venv/bin/wijkmonitor serve --demo-login "$@"
