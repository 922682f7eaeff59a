#!/bin/sh
# SPDX-License-Identifier: MIT
# ./quickstart.sh run by a user who is not root, on a machine without sudo
# and without the build dependencies, says what to install (and how, as
# root) instead of dying with "sudo: not found", and touches nothing.  The
# missing packages are simulated with a dpkg-query that knows none; as root
# the script runs as nobody (setpriv), otherwise as the current user.
set -u
. "${srcdir:-.}/tests/e2e/lib.sh"

e2e_tmpdir
bin=$tmp/bin
mkdir "$bin"
# Only what quickstart.sh needs before it would install anything: no sudo.
for t in sh id grep dirname; do
	p=$(command -v "$t") || { echo "quickstart-nosudo: no $t, skipped"; exit 77; }
	ln -s "$p" "$bin/$t"
done
printf '#!/bin/sh\nexit 1\n' >"$bin/dpkg-query"
# A copy nobody can read wherever the source tree is (CI clones into /root);
# the script stops before it would look at anything beside itself.
cp "$srcdir/quickstart.sh" "$tmp/quickstart.sh"
chmod 755 "$tmp/quickstart.sh"
chmod 755 "$bin/dpkg-query" "$tmp" "$bin"

as_user=
if [ "$(id -u)" -eq 0 ]; then
	command -v setpriv >/dev/null 2>&1 || { echo "quickstart-nosudo: no setpriv, skipped"; exit 77; }
	as_user="$(command -v setpriv) --reuid=65534 --regid=65534 --clear-groups"
fi
# shellcheck disable=SC2086
env -i PATH="$bin" HOME=/nonexistent $as_user /bin/sh "$tmp/quickstart.sh" demo \
	>"$tmp/out" 2>"$tmp/err"
status=$?
cat "$tmp/out" "$tmp/err"
if [ "$status" -ne 1 ]; then
	echo "FAIL - exit $status, want 1"
	exit 1
fi
grep -q '^quickstart: missing build dependencies: build-essential autoconf' "$tmp/err" &&
	grep -q "su -c 'apt-get install -y --no-install-recommends build-essential" "$tmp/err" &&
	grep -q 'or run .*quickstart.sh demo as root' "$tmp/err" || {
	echo "FAIL - the message does not say what to install and how"
	exit 1
}
if grep -q 'not found' "$tmp/err"; then
	echo "FAIL - a command was missing"
	exit 1
fi
echo "ok - quickstart without root or sudo says what to install"
