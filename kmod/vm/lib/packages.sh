# Debian packages the VM harness needs. Idempotent: asks apt only for what is missing, and runs
# `apt-get update` at most once per run. Sourced by run.sh.

vm_packages() {
  local missing=() pkg
  # package:probe — a probe is a command name or an absolute path that proves the package is there.
  local wanted=(
    qemu-system-x86:qemu-system-x86_64
    busybox-static:/bin/busybox
    cpio:cpio
    kmod:depmod
    gcc:gcc
    make:make
    libelf-dev:/usr/include/libelf.h
    bc:bc
    xz-utils:xz
    curl:curl
  )
  for entry in "${wanted[@]}"; do
    pkg=${entry%%:*}
    local probe=${entry#*:}
    if [[ $probe == /* ]]; then [ -e "$probe" ] && continue; else command -v "$probe" >/dev/null 2>&1 && continue; fi
    missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  # Others may be running apt on this machine at the same time: wait for dpkg's lock, don't fail.
  $sudo apt-get -o DPkg::Lock::Timeout=300 update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
}
