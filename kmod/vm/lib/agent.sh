# The capture agent, in the guest and on the host. The guest gets what a contributor's machine
# gets: the single executable from `npm run build:agent` (plus the libraries ldd lists, added by
# initramfs.sh). Until the agent's workspace has its build script, the agent's bundled CLI runs
# on a copy of this machine's `node` instead, and the run says so.
# Sets AGENT_DIR ($out/agent: bin/ and lib/ copied into the guest's root) and HOST_AGENT (argv).

vm_agent_build() { # repo out
  local repo=$1 out=$2
  AGENT_DIR=$out/agent
  rm -rf "$AGENT_DIR"
  mkdir -p "$AGENT_DIR/bin" "$AGENT_DIR/lib"
  local has_build
  has_build=$(node -e 'const p=require(process.argv[1]); process.stdout.write(p.scripts?.build ? "1" : "")' \
    "$repo/services/capture-agent/package.json")
  if [ -n "$has_build" ]; then
    (cd "$repo" && npm run -s build:agent) || return 1
    local sea
    sea=$(vm_agent_sea_path "$repo") || { echo "npm run build:agent produced no executable" >&2; return 1; }
    cp "$sea" "$AGENT_DIR/bin/mmiohub-agent"
    HOST_AGENT=("$sea")
    AGENT_KIND="single executable ($(du -h "$sea" | cut -f1))"
  else
    "$repo/node_modules/.bin/esbuild" "$repo/services/capture-agent/src/cli.ts" --bundle --platform=node \
      --format=esm --target=node20 --log-level=warning --outfile="$AGENT_DIR/lib/mmiohub-agent.mjs" \
      --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" ||
      return 1
    cp "$(command -v node)" "$AGENT_DIR/bin/node"
    printf '#!/bin/sh\nexec /bin/node /lib/mmiohub-agent.mjs "$@"\n' >"$AGENT_DIR/bin/mmiohub-agent"
    chmod 755 "$AGENT_DIR/bin/mmiohub-agent"
    HOST_AGENT=(node "$AGENT_DIR/lib/mmiohub-agent.mjs")
    AGENT_KIND="node $(node --version) + esbuild bundle (no build:agent script yet)"
  fi
  "${HOST_AGENT[@]}" --version >"$AGENT_DIR/version.txt" 2>&1 || {
    cat "$AGENT_DIR/version.txt" >&2
    return 1
  }
  log "agent: $AGENT_KIND, $(head -1 "$AGENT_DIR/version.txt")"
}

# Where the agent's build leaves its executable (its README names it).
vm_agent_sea_path() { # repo
  local f
  for f in "$1"/services/capture-agent/dist/mmiohub-agent "$1"/dist/mmiohub-agent; do
    [ -x "$f" ] && { echo "$f"; return 0; }
  done
  return 1
}

# The host half of one scenario: checks the raw trace inside the archive the guest packed, uploads
# it with the agent, waits for the worker, and checks the result through the public API.
vm_agent_checks() { # scenario
  local s=$1 dir=$OUT/guest/$s archive
  archive=$(ls "$dir"/*.tar.xz 2>/dev/null | head -1)
  check "$s: the agent packed an archive in the guest" $([ -n "$archive" ] && echo 1 || echo 0) \
    "${archive##*/}"
  [ -n "$archive" ] || { show_log "$s: agent output in the guest" "$dir/record.log"; return; }
  mkdir -p "$dir/unpacked"
  tar -xJf "$archive" -C "$dir/unpacked"
  local trace
  trace=$(ls "$dir"/unpacked/trace.mmiotrace* 2>/dev/null | head -1)
  fold_checks "$TSX" "$VM_DIR/checks/trace-checks.ts" "$s" "$trace"
  fold_checks "$TSX" "$VM_DIR/checks/agent-output-checks.ts" "$s" "$dir"

  local uplog=$dir/upload.log id
  "${HOST_AGENT[@]}" upload "$archive" --server "$API_URL" --queue-dir "$dir/queue" >"$uplog" 2>&1
  local rc=$?
  if [ $rc -ne 0 ] && grep -q 'no route POST /api/v1/uploads' "$uplog"; then
    # The API does not serve resumable uploads yet: say so, and go on with the agent's
    # multipart method so that the rest of the chain is still checked.
    check "$s: resumable upload (tus) accepted" 0 "PENDING: the API has no POST /api/v1/uploads yet (issue 6)"
    "${HOST_AGENT[@]}" upload "$archive" --method multipart --server "$API_URL" --queue-dir "$dir/queue" \
      >>"$uplog" 2>&1
    rc=$?
  fi
  id=$(grep -o '/s/[A-Za-z0-9_-]*' "$uplog" | head -1 | cut -c4-)
  check "$s: mmiohub-agent upload sent the archive" $([ $rc -eq 0 ] && [ -n "$id" ] && echo 1 || echo 0) \
    "exit $rc, submission ${id:-?}"
  [ -n "$id" ] || { show_log "$s: upload" "$uplog"; return; }
  fold_checks "$TSX" "$VM_DIR/checks/api-checks.ts" "$s" "$API_URL" "$id" "$dir"
}
