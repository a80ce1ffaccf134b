#!/usr/bin/env bash
# `npm start`: everything a fresh clone needs after `npm install`, then the API and the worker.
# Installs/starts PostgreSQL and Redis when they are missing or stopped (Debian; needs root or
# sudo), applies migrations, and runs both services until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm install --no-audit --no-fund
if [ "${MMIOHUB_SKIP_SYSTEM:-}" != "1" ]; then bash scripts/ensure-system.sh; fi
npm run --silent migrate
exec node scripts/run-services.mjs
