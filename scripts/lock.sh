#!/usr/bin/env bash
# Regenerate requirements.lock: every Python package of the project and its [dev] extra, pinned
# with sha256 hashes, for Python 3.11 on linux x86_64 (manylinux_2_28: Debian 12 and the Docker
# image). pyproject.toml keeps its ranges for users of the library; the lock is what setup.sh,
# CI and the Docker image install (pip install --require-hashes).
#
#   bash scripts/lock.sh                      after a change to the dependencies in pyproject.toml
#   bash scripts/lock.sh --upgrade            to take the newest versions within the ranges
#   bash scripts/lock.sh --upgrade-package X  one package
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
python3.11 -m venv "$tools"
"$tools/bin/python" -m pip install -q --disable-pip-version-check uv
"$tools/bin/uv" pip compile pyproject.toml --extra dev --generate-hashes \
    --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
    --custom-compile-command "bash scripts/lock.sh" -o requirements.lock "$@"
