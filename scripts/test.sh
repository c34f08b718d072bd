#!/usr/bin/env bash
# Run the whole test suite: lint, then pytest (unit, integration, browser).
# Installs what a fresh machine lacks first (scripts/bootstrap.sh --browser).
#   scripts/test.sh                      on SQLite (PostgreSQL-only tests are skipped, with the reason)
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/workportal scripts/test.sh   on PostgreSQL
# Extra arguments go to pytest, e.g. scripts/test.sh -k saml -x
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --browser
export UV_PYTHON_DOWNLOADS=never
echo "== ruff"
uv run --frozen ruff check .
echo "== pytest on ${DATABASE_URL:-SQLite}"
uv run --frozen pytest "$@"
