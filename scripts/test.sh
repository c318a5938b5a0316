#!/usr/bin/env bash
# The whole test suite: lint, types, pytest on SQLite and on PostgreSQL, then the wheel as an operator installs it.
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
if [ -z "${SKIP_WHEEL_SMOKE:-}" ]; then
  # Build the wheel, install it into a fresh venv outside the checkout and use it (scripts/wheel_smoke.py).
  echo "== wheel smoke test (SQLite, and PostgreSQL in a database beside $PG_URL)"
  python scripts/wheel_smoke.py --pg "$PG_URL"
fi
