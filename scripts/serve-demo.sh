#!/usr/bin/env bash
# The one run command: set up the machine, (re)build the demo database, serve the dashboard
# with the demo login on http://localhost:8501 (extra arguments go to `wijkmonitor serve`).
# The demo build takes a minute or two (it also stores the protected publication, so the first
# visitor does not wait for it) and refuses to touch a database with real deliveries.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

echo "==> Demodatabase bouwen (wijkmonitor.db)..."
.venv/bin/wijkmonitor demo

exec .venv/bin/wijkmonitor serve --demo-login "$@"
