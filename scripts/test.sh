#!/usr/bin/env bash
# One command for the whole test suite: set up, then pytest. SQLite by default; set DATABASE_URL
# (postgres://...) to run it against PostgreSQL, where the browser journeys and API fuzzing run too.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${DATABASE_URL:-}" == postgres* ]]; then export QADAM_WITH_BROWSER=1; fi
source scripts/setup.sh
export QADAM_DB_CONN_MAX_AGE=0  # no persistent connections between tests
status=0
.venv/bin/pytest "$@" || status=$?
# pytest exit 5 means no test ran: that is a failure too.
if [ "$status" -eq 5 ]; then echo "No tests were collected." >&2; fi
exit "$status"
