#!/usr/bin/env bash
# `npm run test:vm`: the real-kernel end-to-end test. Builds kmod/edu_mmio against Debian's stock
# kernel, boots it in QEMU (TCG) with the edu device, records each scenario with the real
# mmiotrace inside the guest, brings the results out over a serial port, and checks them: the raw
# trace against the module's documented sequence, then (agent recorder) through our API and
# worker after an upload. Ends with "N passed, N failed" and writes .test-results/vm.json.
#
# Environment: MMIOHUB_VM_RECORDER=agent|busybox (default agent), MMIOHUB_VM_SCENARIOS=basic,lost,
# MMIOHUB_VM_KERNEL_ABI (pin a kernel), MMIOHUB_VM_BOOT_TIMEOUT (seconds, default 180).
set -uo pipefail

VM_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$VM_DIR/../.." && pwd)
CACHE=$VM_DIR/.cache
OUT=$VM_DIR/out
RECORDER=${MMIOHUB_VM_RECORDER:-agent}
SCENARIOS=${MMIOHUB_VM_SCENARIOS:-basic,lost}
TSX="$REPO/node_modules/.bin/tsx"

source "$VM_DIR/lib/common.sh"
source "$VM_DIR/lib/packages.sh"
source "$VM_DIR/lib/kernel.sh"
source "$VM_DIR/lib/module.sh"
source "$VM_DIR/lib/initramfs.sh"
source "$VM_DIR/lib/boot.sh"
source "$VM_DIR/lib/agent.sh"
source "$VM_DIR/lib/services.sh"

mkdir -p "$CACHE" "$OUT"
trap 'vm_services_stop; vm_report "$REPO/.test-results/vm.json"' EXIT

# Stops here when a step that everything after depends on fails; the report still gets written.
fatal() {
  show_log "guest console" "$OUT/console.log"
  exit 1
}

# Runs a step, records it as a check; its output goes to $OUT/<name>.log and is shown on failure.
step() { # name command...
  local name=$1
  shift
  local logf=$OUT/step-${name// /-}.log t0
  t0=$(vm_elapsed)
  if "$@" >"$logf" 2>&1; then
    local t1 d
    t1=$(vm_elapsed)
    d=$((${t1/./} - ${t0/./}))
    check "$name" 1 "$((d / 10)).$((d % 10)) s"
    grep -E '^(\[vm|QEMU:)' "$logf" || true
    return 0
  fi
  check "$name" 0 "see $logf"
  show_log "$name" "$logf" 80
  return 1
}

# Records the "CHECK <1|0> <name> -- <detail>" lines a TypeScript check prints.
fold_checks() { # command...
  local out rc line
  out=$("$@" 2>&1)
  rc=$?
  local n=0
  while IFS= read -r line; do
    case $line in
      "CHECK "*)
        local rest=${line#CHECK } ok
        ok=${rest%% *}
        rest=${rest#* }
        check "${rest%% -- *}" "$ok" "${rest#* -- }"
        n=$((n + 1))
        ;;
      *) [ -n "$line" ] && echo "  $line" ;;
    esac
  done <<<"$out"
  if [ $rc -ne 0 ] || [ $n -eq 0 ]; then check "checker ran: $*" 0 "exit $rc, $n checks"; fi
}

log "recorder $RECORDER, scenarios $SCENARIOS"
step "debian packages" vm_packages || fatal
step "kernel image and headers" vm_kernel "$CACHE" || fatal
[ -n "${MMIOHUB_VM_REUSE_GUEST:-}" ] ||
  step "module builds against the guest kernel's headers" vm_module "$REPO/kmod/edu_mmio" "$OUT" || fatal

AGENT_DIR=""
if [ "$RECORDER" = agent ]; then
  step "capture agent builds" vm_agent_build "$REPO" "$OUT" || fatal
fi
if [ "$RECORDER" = agent ]; then
  step "API and worker launch (own database, queue prefix)" vm_services_launch "$REPO" "$OUT" || fatal
fi
if [ -n "${MMIOHUB_VM_REUSE_GUEST:-}" ] && [ -f "$OUT/guest/done" ]; then
  # Development aid: check the previous boot's results again without booting (host side only).
  log "MMIOHUB_VM_REUSE_GUEST: reusing $OUT/guest from the previous boot"
else
  step "initramfs" vm_initramfs "$OUT" "$AGENT_DIR" || fatal
  step "guest boots, records and powers off" vm_boot "$OUT" "$SCENARIOS" "$RECORDER" || fatal
  check "guest finished every scenario" $([ -f "$OUT/guest/done" ] && echo 1 || echo 0)
fi
if [ "$RECORDER" = agent ]; then
  step "API and worker answer" vm_services_wait || {
    show_log "API" "$OUT/api.log" 60
    show_log "worker" "$OUT/worker.log" 60
    exit 1
  }
fi

for s in ${SCENARIOS//,/ }; do
  if [ "$RECORDER" = agent ]; then
    # The agent's exit status is checked with its output (checks/agent-output-checks.ts).
    MMIOHUB_VM_KERNEL_RELEASE="$KERNEL_ABI-amd64" \
      fold_checks "$TSX" "$VM_DIR/checks/scenario.ts" "$s" "$OUT/guest/$s" agent "$API_URL" "${HOST_AGENT[@]}"
  else
    status=$(awk -v s="$s" '$1 == s { print $2 }' "$OUT/guest/status" 2>/dev/null)
    check "$s: recorder in the guest exited 0" $([ "$status" = 0 ] && echo 1 || echo 0) "exit ${status:-none}"
    fold_checks "$TSX" "$VM_DIR/checks/scenario.ts" "$s" "$OUT/guest/$s" busybox
  fi
done

if [ "$VM_FAILED" -ne 0 ]; then
  show_log "guest console" "$OUT/console.log"
  if [ "$RECORDER" = agent ]; then
    for s in ${SCENARIOS//,/ }; do show_log "$s: the agent in the guest" "$OUT/guest/$s/agent.log" 30; done
    show_log "API" "$OUT/api.log" 40
    show_log "worker" "$OUT/worker.log" 40
  fi
fi
[ "$VM_FAILED" -eq 0 ]
