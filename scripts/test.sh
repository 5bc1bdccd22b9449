#!/usr/bin/env bash
# The README's second command: install everything (with the test extras: Chromium, poppler),
# run the static checks (ruff lint, ruff format, mypy, import-linter; the first that fails stops
# the run),
# then the whole suite on SQLite and on PostgreSQL. Extra arguments go to pytest.
#   PostgreSQL URL: $TEST_DATABASE_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --test
PG_URL="${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"

check() {  # check NAME COMMAND...: run one static check; stop the run, naming it, if it fails
  local name=$1
  shift
  echo "==> $name: $*"
  if ! "$@"; then
    echo "FAILED: $name ($*); the tests did not run. (make format fixes what ruff can.)" >&2
    exit 1
  fi
}
check "Lint" .venv/bin/ruff check .
check "Format" .venv/bin/ruff format --check .
check "Type check" .venv/bin/mypy
check "Layers" .venv/bin/lint-imports --no-cache

echo "==> Test suite on SQLite"
env -u TEST_DATABASE_URL .venv/bin/pytest -q "$@"

echo "==> Test suite on PostgreSQL ($PG_URL)"
if ! .venv/bin/python - "$PG_URL" <<'PY'
import sys
import sqlalchemy as sa
try:
    sa.create_engine(sys.argv[1]).connect().close()
except Exception as error:  # noqa: BLE001
    print(f"PostgreSQL not reachable: {error}", file=sys.stderr)
    sys.exit(1)
PY
then
  echo "Start it (e.g. pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start)" >&2
  echo "or run only SQLite: .venv/bin/pytest" >&2
  exit 1
fi
TEST_DATABASE_URL="$PG_URL" .venv/bin/pytest -q "$@"
