# The capture agent, in the guest and on the host. The guest gets what a contributor's machine
# gets: the single executable from `npm run build:agent` (plus the libraries ldd lists, added by
# initramfs.sh). Until the agent's workspace has its build script, the agent's bundled CLI runs
# on a copy of this machine's `node` instead, and the run says so.
# Sets AGENT_DIR ($out/agent: bin/ and lib/ copied into the guest's root) and HOST_AGENT (argv).

vm_agent_build() { # repo out
  local repo=$1 out=$2
  AGENT_DIR=$out/agent
  if [ -n "${MMIOHUB_VM_REUSE_GUEST:-}" ] && [ -f "$AGENT_DIR/host-agent" ]; then
    mapfile -t HOST_AGENT <"$AGENT_DIR/host-agent"
    log "agent: reusing the previous build (${HOST_AGENT[*]})"
    return 0
  fi
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
    HOST_AGENT=("$AGENT_DIR/bin/mmiohub-agent")
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
  printf '%s\n' "${HOST_AGENT[@]}" >"$AGENT_DIR/host-agent"
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
