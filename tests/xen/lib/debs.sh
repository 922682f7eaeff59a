# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034,SC2153 # globals shared with run.sh
# Debian packages for the guest side of the harness (sourced by run.sh):
# resolve each package's candidate version, download only the .debs that
# are not in the cache yet, and unpack them.  The cache is a plain directory
# of .debs named as apt-get download names them (NAME_VERSION_ARCH.deb, with
# an epoch's ':' written %3a), so the file name alone says whether the
# candidate is already there.

# read_list FILE: the package names in FILE, without comments.
read_list() { sed 's/#.*//' "$1" | tr -s ' \t' '\n' | sed '/^$/d'; }

# deb_resolve ARCH PACKAGE...: print "PACKAGE VERSION FILE" per package from
# apt's candidate; packages apt does not know are left out.
deb_resolve() {
	local arch=$1 p
	shift
	for p in "$@"; do echo "$p:$arch"; done |
		xargs apt-cache show --no-all-versions 2>/dev/null |
		awk '/^Package: /      { p = $2 }
		     /^Version: /      { v = $2 }
		     /^Architecture: / { a = $2 }
		     /^$/ && p != ""   { f = v; gsub(":", "%3a", f)
		                         print p, v, p "_" f "_" a ".deb"; p = "" }
		     END { if (p != "") { f = v; gsub(":", "%3a", f); print p, v, p "_" f "_" a ".deb" } }'
}

# deb_fetch ARCH DIR PACKAGE...: make sure the candidate .deb of every
# PACKAGE is in DIR, downloading the missing ones, and print their paths.
# Without apt metadata for a package, the newest cached .deb of it is used.
deb_fetch() {
	local arch=$1 dir=$2 resolved p v f missing="" paths="" tmp
	shift 2
	mkdir -p "$dir"
	resolved=$(deb_resolve "$arch" "$@")
	if [ "$(echo "$resolved" | grep -c .)" -lt $# ]; then
		apt_update_once >&2
		resolved=$(deb_resolve "$arch" "$@")
	fi
	for p in "$@"; do
		f=$(echo "$resolved" | awk -v p="$p" '$1 == p { print $3; exit }')
		v=$(echo "$resolved" | awk -v p="$p" '$1 == p { print $2; exit }')
		if [ -z "$f" ]; then
			# shellcheck disable=SC2012 # names are NAME_VERSION_ARCH.deb
			f=$(ls -1 "$dir/${p}"_*.deb 2>/dev/null | sort -V | tail -n 1)
			[ -n "$f" ] || die "apt knows no package '$p:$arch' and none is cached in $dir"
			f=${f##*/}
			say "apt knows no '$p:$arch'; using cached $f" >&2
		elif [ ! -s "$dir/$f" ]; then
			missing="$missing $p:$arch=$v"
		fi
		paths="$paths $dir/$f"
	done
	if [ -n "$missing" ]; then
		say "downloading$missing" >&2
		tmp=$(mktemp -d "$dir/.partial.XXXXXX")
		# shellcheck disable=SC2086 # a word list
		(cd "$tmp" && apt-get download -q $missing) >"$WORK/apt-download.log" 2>&1 ||
			{ cat "$WORK/apt-download.log" >&2; rm -rf "$tmp"; die "apt-get download failed"; }
		mv "$tmp"/*.deb "$dir"/
		rmdir "$tmp"
	fi
	for f in $paths; do [ -s "$f" ] || die "expected $f after download"; done
	echo "${paths# }"
}

# kernel_package ARCH: the versioned kernel package that Debian's
# linux-image-ARCH metapackage depends on (or the newest cached one).
kernel_package() {
	local arch=$1 dir=$2 k
	k=$(apt-cache depends "linux-image-$arch:$arch" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^:]*\).*$/\1/p' | head -n 1)
	if [ -z "$k" ]; then
		apt_update_once >&2
		k=$(apt-cache depends "linux-image-$arch:$arch" 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-[0-9][^:]*\).*$/\1/p' | head -n 1)
	fi
	if [ -z "$k" ]; then
		# shellcheck disable=SC2012
		k=$(ls -1 "$dir"/linux-image-[0-9]*.deb 2>/dev/null | sort -V | tail -n 1)
		k=${k##*/}
		k=${k%%_*}
	fi
	[ -n "$k" ] || die "cannot resolve linux-image-$arch (no apt metadata, nothing cached)"
	echo "$k"
}

# deb_unpack DEST DEB...: unpack the file trees of DEBs into DEST.
deb_unpack() {
	local dest=$1 d
	shift
	mkdir -p "$dest"
	for d in "$@"; do dpkg-deb -x "$d" "$dest" || die "dpkg-deb -x $d failed"; done
}
