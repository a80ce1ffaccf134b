#!/usr/bin/env bash
# Makes sure this machine has what mmiohub needs outside npm: Debian packages (xz, PostgreSQL,
# Redis, pci.ids, ...; with --for-tests also what the tests use, with --for-bench what the
# benchmarks use) and running PostgreSQL and Redis.
# Safe to run again; it only acts on what is missing. Needs root (or sudo) for what it installs.
set -euo pipefail

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
apt_updated=""
need_pkg() { # package [command-or-file]
  local pkg=$1 probe=${2:-$1}
  if [[ $probe == /* ]]; then [ -e "$probe" ] && return 0; else command -v "$probe" >/dev/null 2>&1 && return 0; fi
  if [ -z "$apt_updated" ]; then $SUDO apt-get update -qq; apt_updated=1; fi
  echo "ensure-system: installing $pkg"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null
}

need_pkg xz-utils xz
need_pkg gzip gzip
need_pkg bzip2 bzip2
need_pkg pci.ids /usr/share/misc/pci.ids
need_pkg postgresql pg_ctlcluster
need_pkg redis-server redis-server
need_pkg redis-tools redis-cli
# Only the test suite needs these (`--for-tests`, given by `npm test` and .ci/run).
if [[ " $* " == *" --for-tests "* ]]; then
  need_pkg docker-compose docker-compose # validates docker-compose.yml
  need_pkg chromium chromium             # browser tests (never a downloaded browser)
  # The tests read the project's shared facts beside the clone (vitest.config.ts): sample traces
  # and envytools' rnndb. Say so in one line rather than fail in many test files.
  shared="$(cd "$(dirname "$0")/../.." && pwd)/shared"
  if [ ! -d "$shared/samples" ] || [ ! -d "${MMIOHUB_RNNDB:-$shared/rnndb/envytools}" ]; then
    echo "ensure-system: the tests need ../shared beside the clone (samples/, rnndb/envytools/); not found at $shared" >&2
    exit 1
  fi
fi
# The benchmarks' second load generator (bench/src/api.bench.ts), with GNU time for its CPU time.
if [[ " $* " == *" --for-bench "* ]]; then
  need_pkg wrk wrk
  need_pkg time /usr/bin/time
fi
for pkg in ${MMIOHUB_EXTRA_PACKAGES:-}; do need_pkg "$pkg" "${pkg%%:*}"; done

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "ensure-system: starting PostgreSQL"
  version=$(ls /etc/postgresql | sort -V | tail -1)
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
# Trust auth for local TCP is how this machine kind is set up; elsewhere set DATABASE_URL.
pg_isready -h 127.0.0.1 -p 5432 >/dev/null || { echo "ensure-system: PostgreSQL did not start" >&2; exit 1; }

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "ensure-system: starting Redis"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  $SUDO redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/mmiohub.log
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
fi
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null || { echo "ensure-system: Redis did not start" >&2; exit 1; }
