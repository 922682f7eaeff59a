#!/bin/sh
# SPDX-License-Identifier: MIT
# Write the seed corpus of fuzz_vbackend into tests/fuzz/corpus/fuzz_vbackend/:
# libxl's virtio backend entries as Xen 4.17 and 4.18 write them, and the bad
# inputs the watcher must refuse.  Input format: one layout byte ('0' for
# virtio_disk, '1' for virtio), then key=value lines (see fuzz_vbackend.c).
#
# Usage: tests/fuzz/mkseeds-vbackend.sh [CORPUS-DIR]   (default: next to this script)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
d=${1:-$here/corpus}/fuzz_vbackend
mkdir -p "$d"

disk417() { # the keys libxl 4.17.7 wrote on the test machine, then "$@"
	printf '0frontend=/local/domain/1/device/virtio_disk/51712\nfrontend-id=1\n'
	printf 'online=1\nremovable=0\nbootable=1\nstate=1\ndev=xvda\ntype=standalone\n'
	printf 'mode=w\ndevice-type=disk\ndiscard-enable=1\nspecification=virtio\n'
	printf 'transport=mmio\nparams=/dev/loop0\nbase=33554432\nirq=33'
	for kv in "$@"; do printf '\n%s' "$kv"; done
}
disk417 >"$d/xen417-disk"
disk417 'mode=r' >"$d/xen417-readonly-dup-mode"
printf '1online=1\nstate=1\nirq=34\nbase=0x2000200\ntype=virtio,device2\ntransport=mmio\ngrant_usage=1\nparams=/var/lib/xen/d.img' \
	>"$d/xen418-virtio"
printf '1state=1\nirq=35\nbase=0x2000400\ntype=virtio,device22\ntransport=mmio' >"$d/xen418-i2c"
printf '0state=1\nbase=33554432' >"$d/partial"
printf '0state=5\nonline=0' >"$d/closing"
printf '0state=1\nbase=0x2000100\nirq=33\nparams=/dev/loop0' >"$d/unaligned-base"
printf '0state=1\nbase=99999999999999999999999\nirq=spi\nparams=rel/path' >"$d/garbage-numbers"
printf '0state=1\nbase=33554432\nirq=33\nparams=/a ;comment' >"$d/comment-in-path"
printf '/local/domain/0/backend/virtio_disk/5/51712/state' >"$d/watch-path"
echo "wrote seeds under $d"
