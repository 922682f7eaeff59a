#!/bin/sh
# SPDX-License-Identifier: MIT
# Examples work as pasted: the configuration shown in README.md and in
# ioreqd.conf(5), and the example files in etc/, pass --check-config against
# the built hooks; none of them sets hook_dir (the built-in default is right
# for an installed ioreqd).  Then the hook search path: --hook-dir and the
# configuration's hook_dir are searched before the shipped hooks, so one's
# own hook in its own directory loads next to a shipped one, and a missing
# hook names every directory searched.
set -u
. "${srcdir:-.}/tests/e2e/lib.sh"

e2e_tmpdir
pass=0
fail=0
ok() {
	echo "ok - $1"
	pass=$((pass + 1))
}
bad() {
	echo "FAIL - $1"
	[ -f "$tmp/out" ] && sed 's/^/    /' "$tmp/out"
	fail=$((fail + 1))
}

# check_config NAME FILE [ioreqd options]: --check-config must accept FILE.
check_config() {
	name=$1 file=$2
	shift 2
	if "$IOREQD" --check-config -c "$file" "$@" >"$tmp/out" 2>&1; then
		ok "$name"
	else
		bad "$name: ioreqd --check-config -c $file $* exited $?"
	fi
}

# The first ```ini block of README.md.
awk '/^```ini$/ { on = 1; next } on && /^```$/ { exit } on' "$srcdir/README.md" \
	>"$tmp/readme.conf"
[ -s "$tmp/readme.conf" ] || bad "README.md has an \`\`\`ini example"
check_config readme_example_config "$tmp/readme.conf" --hook-dir "$HOOKDIR"

# The SYNOPSIS example of ioreqd.conf(5), unescaped as man(1) shows it.
awk '/^\.SH SYNOPSIS/ { s = 1 } s && /^\.EX$/ { on = 1; next } on && /^\.EE$/ { exit } on' \
	"$srcdir/docs/man/ioreqd.conf.5" | sed 's/\\-/-/g; s/\\e/\\/g' >"$tmp/man.conf"
[ -s "$tmp/man.conf" ] || bad "ioreqd.conf(5) has a SYNOPSIS example"
check_config man_synopsis_config "$tmp/man.conf" --hook-dir "$HOOKDIR"

check_config etc_ioreqd_conf "$srcdir/etc/ioreqd.conf" --hook-dir "$HOOKDIR"
check_config etc_demo_conf "$srcdir/etc/demo.conf" --hook-dir "$HOOKDIR"

# A pasted hook_dir is only right on one machine: no example sets one.
if grep -n '^[[:space:]]*hook_dir[[:space:]]*=' "$tmp/readme.conf" "$tmp/man.conf" \
	"$srcdir/etc/ioreqd.conf" "$srcdir/etc/demo.conf" >"$tmp/out"; then
	bad "no_example_sets_hook_dir"
else
	ok "no_example_sets_hook_dir"
fi

# Own hook (faulty, alone in its directory) next to a shipped one (scratch).
# The build tree's hooks are not installed, so the configuration's hook_dir
# stands in for the shipped directory here.
own=$builddir/tests/hooks/.libs
cat >"$tmp/devices.conf" <<C
[device mine]
hook = faulty
mmio = 0x1000+8

[device shipped]
hook = scratch
mmio = 0x2000+0x100
C
cat >"$tmp/mixed.conf" <<C
[global]
hook_dir = $HOOKDIR

$(cat "$tmp/devices.conf")
C
check_config hook_dir_option_is_searched_before_config_hook_dir "$tmp/mixed.conf" \
	--hook-dir "$own"
cat >"$tmp/mixed2.conf" <<C
[global]
hook_dir = $own

$(cat "$tmp/devices.conf")
C
check_config config_hook_dir_comes_after_the_option "$tmp/mixed2.conf" --hook-dir "$HOOKDIR"

# Prepending, not replacing: without the option's directory the own hook is
# not found, and the message lists every directory searched.
cat >"$tmp/mixed3.conf" <<C
[global]
hook_dir = $tmp

$(cat "$tmp/devices.conf")
C
"$IOREQD" --check-config -c "$tmp/mixed3.conf" --hook-dir "$HOOKDIR" >"$tmp/out" 2>&1
status=$?
if [ "$status" -eq 78 ] &&
	grep -q "mixed3.conf:5: device mine: unknown hook 'faulty': no faulty.so in $HOOKDIR, $tmp, " \
		"$tmp/out"; then
	ok "missing_hook_names_the_search_path"
else
	bad "missing_hook_names_the_search_path: exit $status"
fi

# --list-hooks shows what "hook = NAME" may name: the own hook from the
# --hook-dir first, each with its summary and keys.
"$IOREQD" --list-hooks --hook-dir "$own" >"$tmp/out" 2>&1
status=$?
if [ "$status" -eq 0 ] &&
	grep -q "^Hook search path (first match wins): $own " "$tmp/out" &&
	grep -q "^faulty " "$tmp/out" && grep -q "from $own/faulty.so" "$tmp/out"; then
	ok "list_hooks_shows_the_search_path_and_the_hooks"
else
	bad "list_hooks_shows_the_search_path_and_the_hooks: exit $status"
fi
"$IOREQD" --list-hooks --hook-dir "$HOOKDIR" >"$tmp/out" 2>&1
if grep -q "^scratch .*RAM-backed registers" "$tmp/out" &&
	grep -q "^ *size " "$tmp/out"; then
	ok "list_hooks_shows_summaries_and_keys"
else
	bad "list_hooks_shows_summaries_and_keys"
fi

echo "examples: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
