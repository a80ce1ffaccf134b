# Shared helpers for the VM harness: logging, timing and the harness's own pass/fail checks.
# Sourced by run.sh; everything here writes to stdout/stderr only.

VM_T0=$EPOCHREALTIME
VM_CHECKS=()   # one JSON object per check, in order
VM_PASSED=0
VM_FAILED=0

log() { printf '[vm %6.1fs] %s\n' "$(vm_elapsed)" "$*"; }

# Seconds since the start, one decimal; bash arithmetic on $EPOCHREALTIME (no fork per log line).
vm_elapsed() {
  local now=${EPOCHREALTIME/./} t0=${VM_T0/./}
  local tenths=$(((now - t0) / 100000))
  printf '%d.%d' $((tenths / 10)) $((tenths % 10))
}

json_escape() { # text -> JSON string literal
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/}
  s=${s//$'\t'/\\t}
  printf '"%s"' "$s"
}

# check <name> <ok:0|1> [detail]: records one of the harness's own checks.
check() {
  local name=$1 ok=$2 detail=${3:-}
  if [ "$ok" = 1 ]; then
    VM_PASSED=$((VM_PASSED + 1))
    log "check ok: $name${detail:+ ($detail)}"
  else
    VM_FAILED=$((VM_FAILED + 1))
    log "check FAILED: $name${detail:+ ($detail)}"
  fi
  # A check that fails because a part it needs is not built yet says so: "pending" in the report.
  local pending=false
  [[ $detail == PENDING:* ]] && pending=true
  VM_CHECKS+=("{\"name\":$(json_escape "$name"),\"ok\":$([ "$ok" = 1 ] && echo true || echo false),\"pending\":$pending,\"detail\":$(json_escape "$detail")}")
}

# Writes .test-results/vm.json and the closing line. Called once, from run.sh's EXIT trap.
vm_report() {
  local file=$1 pending
  mkdir -p "$(dirname "$file")"
  {
    pending=$(printf '%s\n' "${VM_CHECKS[@]}" | grep -c '"pending":true')
    printf '{ "passed": %d, "failed": %d, "pending": %d, "seconds": %s, "checks": [' \
      "$VM_PASSED" "$VM_FAILED" "$pending" "$(vm_elapsed)"
    local i
    for i in "${!VM_CHECKS[@]}"; do
      [ "$i" -gt 0 ] && printf ','
      printf '\n    %s' "${VM_CHECKS[$i]}"
    done
    printf '\n] }\n'
  } >"$file"
  log "total time $(vm_elapsed) s; report in $file"
  [ "$pending" -gt 0 ] && log "$pending of the failed checks wait for parts not built yet (PENDING)"
  echo "$VM_PASSED passed, $VM_FAILED failed"
}

# Prints a file framed so it stands out in CI logs (guest console, service logs).
show_log() { # title file [lines]
  local title=$1 file=$2 lines=${3:-200}
  echo "----- $title ($file, last $lines lines) -----"
  if [ -f "$file" ]; then tail -n "$lines" "$file" | tr -d '\r'; else echo "(missing)"; fi
  echo "----- end of $title -----"
}
