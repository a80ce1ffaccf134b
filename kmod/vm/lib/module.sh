# Builds kmod/edu_mmio against the unpacked headers of the kernel that boots. The sources are
# copied so that the work tree stays free of build products. Sets MODULE_KO.

vm_module() { # src out
  local src=$1 out=$2/module
  rm -rf "$out"
  mkdir -p "$out"
  cp "$src"/Kbuild "$src"/*.c "$out"/
  # Debian's compiler is the kernel's (gcc-12 on bookworm); warnings are errors for our code.
  if ! make -s -C "$KERNEL_HEADERS" M="$out" KCFLAGS=-Werror modules >"$out/build.log" 2>&1; then
    cat "$out/build.log" >&2
    return 1
  fi
  MODULE_KO=$out/edu_mmio.ko
  [ -f "$MODULE_KO" ] || { echo "module build produced no edu_mmio.ko" >&2; return 1; }
  local vermagic
  vermagic=$(modinfo -F vermagic "$MODULE_KO")
  case $vermagic in
    "$KERNEL_ABI-amd64 "*) log "module built: $vermagic" ;;
    *) echo "module vermagic '$vermagic' does not match kernel $KERNEL_ABI-amd64" >&2; return 1 ;;
  esac
}
