#!/usr/bin/env bash
# The whole test suite: lint, type and import-layer checks, every test on SQLite, then every
# database test again on PostgreSQL when SLIDEFORGE_TEST_POSTGRES_URL is set.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

$BIN/ruff check src tests benchmarks
$BIN/ruff format --check src tests benchmarks
$BIN/mypy
$BIN/lint-imports --no-cache   # the import layers of pyproject.toml [tool.importlinter]

$BIN/pytest -n 2 --dist loadgroup "$@"
if [ -n "${SLIDEFORGE_TEST_POSTGRES_URL:-}" ]; then
  echo "== database tests again on PostgreSQL"
  SLIDEFORGE_TEST_BACKEND=postgres $BIN/pytest -n 2 --dist loadgroup -m db "$@"
fi
