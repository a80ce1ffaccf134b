# Builds the guest's initramfs: busybox, our /init, the module and, for the agent recorder, the
# capture agent's single executable with the shared libraries `ldd` lists. No kernel modules: the
# stock kernel has mmiotrace, tracefs, the serial ports and PCI MSI built in.

vm_initramfs() { # out agent-binary-or-empty
  local out=$1 agent=$2 root=$1/initramfs
  rm -rf "$root"
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,etc,lib,lib64}
  cp /bin/busybox "$root/bin/busybox"
  cp "$VM_DIR/guest/init" "$root/init"
  chmod 755 "$root/init"
  cp "$MODULE_KO" "$root/edu_mmio.ko"
  if [ -n "$agent" ]; then
    cp "$agent" "$root/bin/mmiohub-agent"
    local lib
    # The executable is dynamically linked against glibc and friends: copy exactly what ldd names.
    for lib in $(ldd "$agent" | grep -o '/[^ ]*'); do
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
    done
  fi
  # gzip -1: the 40 MB image packs in ~2 s; better ratios cost more time than they save at boot.
  (cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/initrd.gz"
  log "initramfs: $(du -h "$out/initrd.gz" | cut -f1)${agent:+ (with the agent)}"
}
