# The host side of the chain: PostgreSQL and Redis (started by scripts/ensure-system.sh if they are
# down), a database of this run's own (migrated, dropped at exit), and the real API and worker
# started with tsx: launched before the guest boots, waited for after. Sets API_URL. Logs: $OUT/api.log, $OUT/worker.log.

SERVICE_PGIDS=()
VM_DB_NAME=""

vm_services_launch() { # repo out
  local repo=$1 out=$2
  bash "$repo/scripts/ensure-system.sh" || return 1
  VM_DB_NAME="mmiohub_vm_$$"
  local base=${MMIOHUB_VM_DATABASE_BASE:-postgresql://postgres@127.0.0.1:5432}
  export DATABASE_URL="$base/$VM_DB_NAME"
  export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
  export STORAGE_DIR=$out/blobs
  export QUEUE_PREFIX="vm$$"
  export LOG_LEVEL=${LOG_LEVEL:-info}
  rm -rf "$STORAGE_DIR"
  (cd "$repo" && "$TSX" packages/db/src/cli/migrate.ts) || return 1
  local port
  port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  API_URL="http://127.0.0.1:$port"
  # Each service in its own process group, so that stopping it also stops tsx's child node.
  (cd "$repo" && PORT=$port HOST=127.0.0.1 PUBLIC_URL=$API_URL exec setsid "$TSX" services/api/src/server.ts) \
    >"$out/api.log" 2>&1 &
  SERVICE_PGIDS+=($!)
  (cd "$repo" && exec setsid "$TSX" services/worker/src/main.ts) >"$out/worker.log" 2>&1 &
  SERVICE_PGIDS+=($!)
}

# Waits until the API answers /health (the services start while the guest boots).
vm_services_wait() {
  local i pid
  for i in $(seq 1 120); do
    curl -fsS "$API_URL/health" >/dev/null 2>&1 && break
    for pid in "${SERVICE_PGIDS[@]}"; do
      kill -0 "$pid" 2>/dev/null || { echo "a service exited during start-up" >&2; return 1; }
    done
    sleep 0.5
  done
  curl -fsS "$API_URL/health" >/dev/null || { echo "API did not answer /health at $API_URL" >&2; return 1; }
  log "API at $API_URL, worker started (database $VM_DB_NAME, queue prefix $QUEUE_PREFIX)"
}

vm_services_stop() {
  local pid
  for pid in "${SERVICE_PGIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null; done
  for pid in "${SERVICE_PGIDS[@]}"; do
    for _ in $(seq 1 20); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$pid" 2>/dev/null
  done
  SERVICE_PGIDS=()
  if [ -n "$VM_DB_NAME" ] && [ -z "${MMIOHUB_KEEP_VM_DB:-}" ]; then
    psql "${MMIOHUB_VM_DATABASE_BASE:-postgresql://postgres@127.0.0.1:5432}/postgres" -qc \
      "DROP DATABASE IF EXISTS \"$VM_DB_NAME\" WITH (FORCE)" >/dev/null 2>&1
  fi
  [ -n "${QUEUE_PREFIX:-}" ] && redis-cli -u "${REDIS_URL:-redis://127.0.0.1:6379}" --scan --pattern "bull:${QUEUE_PREFIX}-*" |
    xargs -r redis-cli -u "${REDIS_URL:-redis://127.0.0.1:6379}" del >/dev/null 2>&1
  return 0
}
