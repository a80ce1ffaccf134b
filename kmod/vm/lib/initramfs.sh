# Builds the guest's initramfs: busybox, our /init, the module and, for the agent recorder, the
# capture agent (its single executable, or node and the bundle) with the libraries `ldd` lists. No kernel modules: the
# stock kernel has mmiotrace, tracefs, the serial ports and PCI MSI built in.

vm_initramfs() { # out agent-dir-or-empty
  local out=$1 agent=$2 root=$1/initramfs
  rm -rf "$root"
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,etc,lib,lib64}
  cp /bin/busybox "$root/bin/busybox"
  cp "$VM_DIR/guest/init" "$root/init"
  chmod 755 "$root/init"
  cp "$MODULE_KO" "$root/edu_mmio.ko"
  if [ -n "$agent" ]; then
    cp -a "$agent"/bin/. "$root/bin/"
    cp -a "$agent"/lib/. "$root/lib/"
    local exe lib
    # Executables are dynamically linked against glibc and friends: copy exactly what ldd names.
    for exe in "$agent"/bin/*; do
      [ "$(head -c 4 "$exe" | tail -c 3)" = ELF ] || continue
      for lib in $(ldd "$exe" | grep -o '/[^ ]*'); do
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$lib" "$root$lib"
      done
    done
  fi
  # Not compressed: inflating 140 MB in an emulated CPU costs more boot time than loading it, and
  # compressing it costs host CPU (MMIOHUB_VM_INITRD_GZIP=1 to compress anyway).
  if [ -n "${MMIOHUB_VM_INITRD_GZIP:-}" ]; then
    (cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/initrd.img"
  else
    (cd "$root" && find . | cpio -o -H newc --quiet) >"$out/initrd.img"
  fi
  log "initramfs: $(du -h "$out/initrd.img" | cut -f1)${agent:+ (with the agent)}"
}
