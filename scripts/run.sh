#!/usr/bin/env bash
# The README's first command: install everything, migrate the SQLite database in instance/,
# seed the demo, start the background worker (Huey) and serve the portal at
# http://127.0.0.1:5000 (Ctrl-C stops both).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export FLASK_APP=portal
.venv/bin/flask db upgrade
.venv/bin/flask demo seed
mkdir -p instance
.venv/bin/huey_consumer portal.jobs.huey --workers 2 --logfile instance/worker.log &
WORKER=$!
trap 'kill $WORKER 2>/dev/null || true' EXIT INT TERM
echo "Worker started (pid $WORKER, log instance/worker.log)."
.venv/bin/flask run --host 127.0.0.1 --port "${PORT:-5000}"
