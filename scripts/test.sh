#!/usr/bin/env bash
# The whole test suite: lint, types, then pytest on SQLite and on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
export PATH="$PWD/$VENV/bin:$PATH"
PG_URL=${HAILONG_TEST_PG_URL:-postgresql://postgres@127.0.0.1:5432/test}

echo "== ruff"; ruff check .
# mypy reads the folders under their installed names (hailong.survey, ...) through a tree of links.
mkdir -p build/typecheck/hailong
for top in survey forms analysis; do ln -sfn "../../../$top" "build/typecheck/hailong/$top"; done
echo "== mypy"; mypy
echo "== pytest (SQLite)"
env -u HAILONG_DATABASE_URL pytest "$@"
echo "== pytest (PostgreSQL: $PG_URL)"
HAILONG_DATABASE_URL="$PG_URL" pytest -m "not e2e" "$@"
