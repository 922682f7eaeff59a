#!/bin/sh
# SPDX-License-Identifier: MIT
# End to end: a virtio device section with a bad transport, a queue size that
# is not a power of 2, no irq or a window too small makes the real daemon exit
# with 78 (EX_CONFIG) and a "file:line: ..." message, before it touches any
# hypervisor.  (virtio-blk adds its own cases: a missing or unreadable path.)
set -u
. "${srcdir:-.}/tests/e2e/lib.sh"

e2e_tmpdir

e2e_check_config bad_transport 78 "bad_transport.conf:4: device rng0: transport: unknown 'virtio-ccw' \(this build has: mmio" <<'C'
[device rng0]
hook = virtio-rng
mmio = 0x02000000+0x200
transport = virtio-ccw
irq = 33
C

e2e_check_config queue_not_pow2 78 "queue_not_pow2.conf:5: device rng0: queue_size: 100 is not a power of 2" <<'C'
[device rng0]
hook = virtio-rng
mmio = 0x02000000+0x200
irq = 33
queue_size = 100
C

e2e_check_config queue_too_big 78 "queue_too_big.conf:5: device rng0: queue_size: 65536 is not a power of 2 from 1 to 32768" <<'C'
[device rng0]
hook = virtio-rng
mmio = 0x02000000+0x200
irq = 33
queue_size = 64K
C

e2e_check_config no_irq 78 "no_irq.conf:[0-9]+: device rng0: virtio-mmio needs irq = N" <<'C'
[device rng0]
hook = virtio-rng
mmio = 0x02000000+0x200
C

e2e_check_config small_window 78 "small_window.conf:[0-9]+: device rng0: virtio-mmio needs an mmio range of at least 0x100 bytes" <<'C'
[device rng0]
hook = virtio-rng
mmio = 0x02000000+0x80
irq = 33
C

echo "virtio-config-errors: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
