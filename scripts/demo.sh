#!/usr/bin/env bash
# One command for the demo: set up, migrate, generate the national synthetic data (first run only),
# create one demo user per role, print their logins and serve on http://localhost:8000.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
exec .venv/bin/qadam demo "$@"
