#!/usr/bin/env bash
# The README's first command: install everything, migrate the SQLite database in instance/,
# seed the demo and serve the portal at http://127.0.0.1:5000 (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export FLASK_APP=portal
.venv/bin/flask db upgrade
.venv/bin/flask demo seed
exec .venv/bin/flask run --host 127.0.0.1 --port "${PORT:-5000}"
