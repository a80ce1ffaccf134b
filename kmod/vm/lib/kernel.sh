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
    log "kernel $KERNEL_ABI (cached)"
    return 0
  fi
  log "kernel $KERNEL_ABI: downloading image and headers"
  rm -rf "$dir"
  mkdir -p "$dir/debs" "$dir/root"
  # apt-get download drops privileges to _apt: give it a directory it may write.
  chmod 777 "$dir/debs"
  (cd "$dir/debs" && apt-get download -q \
    "linux-image-$KERNEL_ABI-amd64" "linux-headers-$KERNEL_ABI-amd64" \
    "linux-headers-$KERNEL_ABI-common" "$kbuild" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
  local deb
  for deb in "$dir"/debs/linux-headers-*.deb "$dir"/debs/linux-kbuild-*.deb; do
    [ -f "$deb" ] || { echo "download failed: $dir/debs holds $(ls "$dir/debs")" >&2; return 1; }
    dpkg-deb -x "$deb" "$dir/root"
  done
  # Only /boot of the image: its modules are ~390 MB and the guest needs none of them.
  local image
  image=$(ls "$dir"/debs/linux-image-*.deb) || { echo "image download failed" >&2; return 1; }
  dpkg-deb --fsys-tarfile "$image" | tar -x -C "$dir/root" ./boot
  # The headers' Makefile includes the -common tree by absolute path: point it at our copy.
  sed -i "s#/usr/src/linux-headers-$KERNEL_ABI-common#$dir/root/usr/src/linux-headers-$KERNEL_ABI-common#g" \
    "$KERNEL_HEADERS/Makefile"
  # The scripts/ and tools links point at /usr/lib/linux-kbuild-X.Y absolutely too.
  local link target
  while IFS= read -r link; do
    target=$(readlink "$link")
    case $target in /usr/*) ln -sfn "$dir/root$target" "$link" ;; esac
  done < <(find "$dir/root/usr/src" -maxdepth 3 -type l)
  rm -f "$dir"/debs/linux-image-*.deb.partial
  [ -f "$KERNEL_IMAGE" ] && [ -f "$KERNEL_HEADERS/Makefile" ] || { echo "unpacked kernel is incomplete" >&2; return 1; }
  touch "$dir/.complete"
  log "kernel $KERNEL_ABI ready ($(du -sh "$dir" | cut -f1) in cache)"
}
