#!/usr/bin/env bash
# The one test command: machine setup, a private PostGIS server, ruff, mypy and pytest.
#
#   bash scripts/test.sh                 everything
#   bash scripts/test.sh tests/data -q   pytest arguments are passed on
#
# Exits non-zero when ruff, mypy or pytest fails; pytest's own status wins (5, no tests
# collected, stays a failure).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

# Stop the server on exit, but only when this run started it: a server that already ran (a
# developer's, or another test run's) is left alone.
if bash scripts/postgis.sh status; then
    started_postgis=0
else
    started_postgis=1
fi
cleanup() {
    if ((started_postgis)); then
        bash scripts/postgis.sh stop || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
bash scripts/postgis.sh start

export WIJKMONITOR_TEST_POSTGIS=postgresql+psycopg://postgres@127.0.0.1:55432/wijkmonitor_test
export WIJKMONITOR_CHROMIUM=/usr/bin/chromium

failed=()

echo "==> ruff check ."
.venv/bin/ruff check . || failed+=(ruff)

echo "==> mypy"
.venv/bin/mypy || failed+=(mypy)

echo "==> pytest $*"
set +e
.venv/bin/pytest "$@"
pytest_status=$?
set -e
((pytest_status == 0)) || failed+=("pytest (status $pytest_status)")

if ((${#failed[@]})); then
    echo "MISLUKT: ${failed[*]}" >&2
    ((pytest_status != 0)) && exit "$pytest_status"
    exit 1
fi
