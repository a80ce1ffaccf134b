# Debian's stock kernel for the guest: resolves the current ABI at run time (older ABIs vanish from
# the mirror), downloads image + headers once into the cache and unpacks what we need.
# Sets KERNEL_ABI, KERNEL_IMAGE (vmlinuz) and KERNEL_HEADERS (the -amd64 headers tree).

vm_kernel() {
  local cache=$1
  KERNEL_ABI=${MMIOHUB_VM_KERNEL_ABI:-}
  if [ -z "$KERNEL_ABI" ]; then
    KERNEL_ABI=$(apt-cache depends linux-image-amd64 2>/dev/null |
      sed -n 's/.*Depends: linux-image-\(.*\)-amd64$/\1/p' | head -1)
    if [ -z "$KERNEL_ABI" ]; then
      # An empty apt list (fresh container) knows no kernel: refresh once.
      apt-get -o DPkg::Lock::Timeout=300 update -qq
      KERNEL_ABI=$(apt-cache depends linux-image-amd64 | sed -n 's/.*Depends: linux-image-\(.*\)-amd64$/\1/p' | head -1)
    fi
  fi
  [ -n "$KERNEL_ABI" ] || { echo "cannot resolve the Debian kernel ABI from linux-image-amd64" >&2; return 1; }
  local major=${KERNEL_ABI%%-*}          # 6.1.0
  local kbuild="linux-kbuild-${major%.*}" # linux-kbuild-6.1
  local dir="$cache/kernel/$KERNEL_ABI"
  KERNEL_IMAGE="$dir/root/boot/vmlinuz-$KERNEL_ABI-amd64"
  KERNEL_HEADERS="$dir/root/usr/src/linux-headers-$KERNEL_ABI-amd64"
  if [ -f "$dir/.complete" ]; then
    vm_kernel_headers_link "$dir"
    log "kernel $KERNEL_ABI (cached)"
    return 0
  fi
  log "kernel $KERNEL_ABI: downloading image and headers"
  rm -rf "$dir"
  mkdir -p "$dir/debs" "$dir/root"
  # apt-get download drops privileges to _apt: give it a directory it may write.
  chmod 777 "$dir/debs"
  if ! (cd "$dir/debs" && apt-get download -q "linux-image-$KERNEL_ABI-amd64" \
    "linux-headers-$KERNEL_ABI-amd64" "linux-headers-$KERNEL_ABI-common" "$kbuild"); then
    # Stale package lists name an ABI the mirror no longer has: refresh them, resolve again, retry.
    [ -z "${VM_KERNEL_RETRIED:-}" ] && [ -z "${MMIOHUB_VM_KERNEL_ABI:-}" ] || return 1
    VM_KERNEL_RETRIED=1
    rm -rf "$dir"
    apt-get -o DPkg::Lock::Timeout=300 update -qq || return 1
    vm_kernel "$cache"
    return
  fi
  local deb
  for deb in "$dir"/debs/linux-headers-*.deb "$dir"/debs/linux-kbuild-*.deb; do
    [ -f "$deb" ] || { echo "download failed: $dir/debs holds $(ls "$dir/debs")" >&2; return 1; }
    dpkg-deb -x "$deb" "$dir/root"
  done
  # Only /boot of the image: its modules are ~390 MB and the guest needs none of them.
  local image
  image=$(ls "$dir"/debs/linux-image-*.deb) || { echo "image download failed" >&2; return 1; }
  dpkg-deb --fsys-tarfile "$image" | tar -x -C "$dir/root" ./boot
  rm -rf "$dir/debs"
  [ -f "$KERNEL_IMAGE" ] && [ -f "$KERNEL_HEADERS/Makefile" ] || { echo "unpacked kernel is incomplete" >&2; return 1; }
  vm_kernel_headers_link "$dir"
  touch "$dir/.complete"
  log "kernel $KERNEL_ABI ready ($(du -sh "$dir" | cut -f1) in cache)"
}

# The headers' Makefile includes the -common tree by absolute path: point it at our
# copy (again on every run, so a moved work tree still builds).
vm_kernel_headers_link() { # dir
  sed -i "s#^include .*/usr/src/linux-headers-$KERNEL_ABI-common/Makefile\$#include $1/root/usr/src/linux-headers-$KERNEL_ABI-common/Makefile#" \
    "$KERNEL_HEADERS/Makefile"
}
