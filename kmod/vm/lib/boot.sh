# Boots the guest under QEMU (TCG: KVM hangs on these machines) with the edu device, and extracts
# the files the guest sent over its second serial port into $out/guest/.

vm_boot() { # out scenarios recorder
  local out=$1 scenarios=$2 recorder=$3
  local console=$out/console.log raw=$out/ttyS1.raw
  rm -f "$console" "$raw"
  local mem=512
  [ "$recorder" = agent ] && mem=1024
  # nokaslr and trace_pc=1 make the PC column repeatable; panic=-1 turns a guest panic into an exit.
  local append="console=ttyS0 quiet panic=-1 nokaslr mmiotrace.trace_pc=1"
  append+=" mmiohub.scenarios=$scenarios mmiohub.recorder=$recorder"
  log "booting QEMU (TCG, ${mem} MiB): scenarios $scenarios, recorder $recorder"
  local rc=0 TIMEFORMAT="QEMU: %R s wall, %U s user + %S s system CPU"
  time timeout "${MMIOHUB_VM_BOOT_TIMEOUT:-180}" qemu-system-x86_64 -accel tcg -cpu max -m "$mem" -smp 1 \
    -kernel "$KERNEL_IMAGE" -initrd "$out/initrd.img" -append "$append" \
    -device edu -no-reboot -display none -monitor none -nodefaults \
    -serial "file:$console" -serial "file:$raw" || rc=$?
  log "QEMU exited ($rc)"
  [ $rc -eq 0 ] || return $rc
  vm_extract "$raw" "$out/guest"
}

# Decodes the framed files from the serial log; checks size and sha256 of each.
vm_extract() { # raw dir
  local raw=$1 dir=$2 line name size sum tmp bad=0
  rm -rf "$dir"
  mkdir -p "$dir"
  tr -d '\r' <"$raw" >"$raw.txt"
  while IFS= read -r line; do
    case $line in
      "@@mmiohub-vm begin "*)
        read -r _ _ name size <<<"$line"
        tmp=$dir/.b64
        : >"$tmp"
        ;;
      "@@mmiohub-vm end "*)
        read -r _ _ name sum <<<"$line"
        mkdir -p "$dir/$(dirname "$name")"
        base64 -d <"$tmp" >"$dir/$name" || bad=1
        if [ "$(wc -c <"$dir/$name")" != "$size" ] || [ "$(sha256sum "$dir/$name" | cut -d' ' -f1)" != "$sum" ]; then
          echo "serial transfer of $name is damaged" >&2
          bad=1
        fi
        rm -f "$tmp"
        ;;
      "@@mmiohub-vm status "*) echo "${line#@@mmiohub-vm status }" >>"$dir/status" ;;
      "@@mmiohub-vm done") touch "$dir/done" ;;
      *) [ -n "${tmp:-}" ] && [ -f "$tmp" ] && printf '%s\n' "$line" >>"$tmp" ;;
    esac
  done <"$raw.txt"
  return $bad
}
