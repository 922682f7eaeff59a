#!/bin/sh
# SPDX-License-Identifier: MIT
# --checkpoint FILE end to end: a simulated guest places testdev's BAR and a
# virtio-pci device's BAR (and sets the device up), then waits for a new
# device model (wait-restart).  The daemon has kept FILE current: the test
# waits until its statistics say no write is pending (coalesced: fewer
# writes than changes), kills it with SIGKILL - no save, no clean exit - and
# starts another with --resume FILE.  The same guest finds both devices
# answering at the BARs it moved, testdev's registers and the virtio-rng
# queue where it left them.  Sequenced on the guest's output and the
# daemon's statistics, never on sleeping.
set -u
. "$srcdir/tests/e2e/lib.sh"

e2e_tmpdir
domid=29

{
	e2e_conf_console
	e2e_conf_testdev
	cat <<'CONF'

[device rng]
hook = virtio-rng
transport = pci
pci = 00:04.0
CONF
} >"$tmp/dev.conf"

cat >"$tmp/guest.script" <<'SCRIPT'
expect-key state running
mmio write 0xfeb01020 4 0x7e57da7a
pci write 00:05.0 0x10 4 0xfeb20000
mmio read 0xfeb20020 4 expect 0x7e57da7a
virtio attach 0 pci 00:04.0 bar 0xe0000000 msix 1 id 4
virtio rng 0 read 64
print phase1-done
wait-restart 60000
mmio read 0xfeb20020 4 expect 0x7e57da7a
mmio read 0xfeb20004 4 expect 0x7e570001
pci read 00:05.0 0x10 4 expect 0xfeb20000
virtio rng 0 read 64
virtio rng 0 read 4096
print phase2-done
SCRIPT

sock=$tmp/sim.sock
ckpt=$tmp/ckpt.bin
e2e_start_guest guest "$sock" --domid "$domid" --timeout 90 --script "$tmp/guest.script"
e2e_start_sim_daemon daemon1 "$tmp/dev.conf" "$sock" --checkpoint "$ckpt"
e2e_wait_line '^# wait-restart' "$tmp/guest.out" "the guest never reached wait-restart" \
	"the guest failed in phase 1"
grep -q '^FAIL' "$tmp/guest.out" && fail "a phase-1 check failed"
[ -s "$ckpt" ] || fail "no checkpoint file"
# The last change was before phase1-done: wait for its write.
n=0
while :; do
	"$IOREQD" --stats -d "$domid" --backend sim --sim-socket "$sock" >"$tmp/stats.out" \
		2>"$tmp/stats.err" || fail "ioreqd --stats failed"
	grep -q 'checkpoint:.* pending 0' "$tmp/stats.out" && break
	n=$((n + 1))
	[ "$n" -lt 100 ] || fail "the checkpoint write stayed pending"
	sleep 0.1
done
line=$(grep 'checkpoint:' "$tmp/stats.out")
changes=$(echo "$line" | sed -n 's/.*changes \([0-9]*\).*/\1/p')
writes=$(echo "$line" | sed -n 's/.*writes \([0-9]*\).*/\1/p')
[ -n "$changes" ] && [ -n "$writes" ] || fail "no checkpoint counters: $line"
[ "$writes" -ge 2 ] || fail "one write at start and one after the changes, got $writes"
[ "$writes" -lt "$changes" ] || fail "$changes changes cost $writes writes: not coalesced"
grep -q 'checkpoint:.* failed 0' "$tmp/stats.out" || fail "a checkpoint write failed: $line"
ls "$tmp" | grep -q 'ckpt.bin.tmp' && fail "a temporary file was left behind"

# A crash: no save, no clean exit.
e2e_crash_daemon
e2e_start_sim_daemon daemon2 "$tmp/dev.conf" "$sock" --resume "$ckpt" --checkpoint "$ckpt"
wait "$guest" || fail "the guest did not find its devices where it left them (exit $?)"
guest=
e2e_wait_daemon "daemon 2"
grep -q 'phase2-done' "$tmp/daemon2.out" || fail "no phase2-done"

# --checkpoint and --seccomp do not go together: said before anything starts.
"$IOREQD" -d "$domid" -c "$tmp/dev.conf" --backend sim --sim-socket "$sock" \
	--checkpoint "$ckpt" --seccomp >"$tmp/sc.out" 2>"$tmp/sc.err" &&
	fail "--checkpoint with --seccomp was accepted"
grep -q -- '--checkpoint writes files, which --seccomp forbids' "$tmp/sc.err" ||
	fail "the refusal of --checkpoint with --seccomp does not say why"
rm -f "$tmp/sc.out" "$tmp/sc.err"
echo "ok - checkpoint: BARs and virtio set-up survive SIGKILL and --resume"
exit 0
