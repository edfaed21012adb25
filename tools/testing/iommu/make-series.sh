#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: make-series.sh [--check <results>] [--build <build-dir>]
#                       <project-root> <overlay-tree> <out-dir>
#
# Export our work as a git format-patch series against the pristine 6.12.y
# tree, then prove it: apply it with git am to a fresh copy of the base and
# check that every file it touches is byte for byte what the overlay tree
# that make check builds and tests holds, and that checkpatch.pl --strict
# finds nothing in any patch beyond the documented exceptions
# (checkpatch-exceptions).
#
# The patches, in order, are data: series-split beside this script gives
# each one's subject, message, the files of ours it carries (patterns, so
# that a file that changes or appears lands in its patch without editing
# anything) and the glue patches of patches/ it applies.  Every file of
# ours must be carried by exactly one patch and every glue patch by one;
# the script stops and names any that is not.  Each part of the series
# (the conformance suite, the core, its documentation, the DMA-IOMMU
# layer, the tools) adds its files first, where kbuild does not look yet,
# and its last patch wires its directory into drivers/iommu/.
#
# The series is authored and signed off by whoever sends it: git config
# user.name and user.email of the project, or SERIES_IDENT="Name <email>"
# in their place.  With neither the script stops; it never makes one up.
#
# Without --check (make series): the patches, a cover letter (patch 0000:
# what the series is, how it is ordered, how it differs from upstream's
# core, the measured results, how to test it, get_maintainer.pl's
# recipients) and the base it was made against (format-patch --base).
# With --build <build-dir> it then checks that the series is bisectable:
# it checks out each patch that git am made, in order, and builds it
# (the x86_64 test config: configs/{common,x86_64,debug}.config and the
# KUnit QEMU config's options, with CONFIG_IOMMU_CORE_OURS and
# CONFIG_IOMMU_DMA_LAYER_OURS where the patch has them, as the Makefile's
# KUNIT_ARGS) incrementally with ccache in that one O= directory.  A patch
# that changes no file the previous build read (its directory is not
# built yet) keeps that build, provably the same.  Every C file of ours
# in the kernel tree is compiled with W=1 to assembly at every patch,
# including files not linked yet (ccache replays unchanged ones), and
# kernel-doc checks those the patch changed; no warning in our files may
# appear.  At a patch marked "Check: kunit" (the end of the suite, of the
# core and of the DMA layer) run-kunit.sh runs the suite under QEMU.
# Result lines go to stdout and build/series/series.results; exits
# non-zero if anything fails.
#
# With --check <results> (make check): only the cheap part, the patches
# without a cover letter nor builds and the checks, one result line per
# patch and one for git am, written to <results>.
set -euo pipefail

results=
obj=
while [ $# -gt 0 ]; do
	case $1 in
	--check) results=$(realpath -m "$2"); check=1; shift 2 ;;
	--build) obj=$(realpath -m "$2"); shift 2 ;;
	*) break ;;
	esac
done
if [ $# -ne 3 ]; then
	echo "usage: $0 [--check <results>] [--build <build-dir>]" \
		"<project-root> <overlay-tree> <out-dir>" >&2
	exit 2
fi
top=$(realpath "$1")
overlay=$(realpath "$2")
out=$(realpath -m "$3")
tarball=${LINUX_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
here=$top/tools/testing/iommu
split=$here/series-split
work=$top/build/series
base=$work/base
exceptions=$here/checkpatch-exceptions
am_result=series/applies-reproduces-tree
results=${results:-$work/series.results}
check=${check:-0}

# Every way out leaves a result line: a step that stops the script fails
# the git am result with the reason.
stopped="make-series.sh stopped"
mkdir -p "$(dirname "$results")"
: > "$results"
trap 'grep -q "^[A-Z]* $am_result" "$results" ||
	echo "FAIL $am_result: $stopped" >> "$results"' EXIT
die() {
	stopped=$*
	echo "make-series: $*" >&2
	exit 1
}
result() {
	echo "$1"
	echo "$1" >> "$results"
}

# The sender: author, committer and Signed-off-by of every commit.
if [ -n "${SERIES_IDENT:-}" ]; then
	ident=$SERIES_IDENT
else
	name=$(git -C "$top" config user.name || true)
	email=$(git -C "$top" config user.email || true)
	ident=${name:+${email:+$name <$email>}}
fi
re='^([^<>]*[^<> ]) <([^<> ]+@[^<> ]+)>$'
if ! [[ $ident =~ $re ]]; then
	die "no sender identity${ident:+ in \"$ident\"}: the series is authored and" \
		"signed off by whoever sends it; set git config user.name and" \
		"user.email, or SERIES_IDENT=\"Your Name <you@example.org>\""
fi
export GIT_AUTHOR_NAME=${BASH_REMATCH[1]} GIT_AUTHOR_EMAIL=${BASH_REMATCH[2]}
export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
echo "make-series: sender $GIT_AUTHOR_NAME <$GIT_AUTHOR_EMAIL>"

# The split: p_subject[i], p_body[i], p_pats[i] (patterns), p_glue[i],
# p_part[i], p_check[i] and p_begin[i] (lines "<file> <marker>") of patch
# i, from 1.
np=0
declare -a p_subject p_body p_pats p_glue p_part p_check p_files p_begin
parse_split() {
	local line n=0 hdr=0

	[ -f "$split" ] || die "$split missing"
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		case $line in
		'#'*) continue ;;
		'Subject: '*)
			np=$((np + 1))
			p_subject[np]=${line#Subject: }
			p_body[np]='' p_pats[np]='' p_glue[np]=''
			p_part[np]='' p_check[np]='' p_begin[np]=''
			hdr=1
			continue ;;
		esac
		if [ $np = 0 ]; then
			[ -z "$line" ] || die "$split:$n: text before the first Subject:"
		elif [ $hdr = 1 ]; then
			case $line in
			'Files: '*) p_pats[np]+=" ${line#Files: }" ;;
			'Glue: '*) p_glue[np]+=" ${line#Glue: }" ;;
			'Begin: '*' '?*) p_begin[np]+=${line#Begin: }$'\n' ;;
			'Part: '*) p_part[np]=${line#Part: } ;;
			'Check: kunit') p_check[np]=kunit ;;
			'') hdr=0 ;;
			*) die "$split:$n: not a header line: $line" ;;
			esac
		else
			p_body[np]+=$line$'\n'
		fi
	done < "$split"
	[ $np -gt 0 ] || die "$split: no Subject: line"
	[ -n "${p_part[1]}" ] || die "$split: the first patch has no Part: line"
}

# The files of ours patch $1 carries, one a line: what its patterns match
# among the files prepare-tree.sh lays over the tree ($ourlist).
patch_files() {
	local pats pat pos=() neg=()

	read -r -a pats <<< "${p_pats[$1]}"
	for pat in "${pats[@]}"; do
		case $pat in
		!*) neg+=("${pat#!}") ;;
		*) pos+=("$pat") ;;
		esac
	done
	expand() {
		(
		cd "$top"
		shopt -s globstar nullglob dotglob
		local p f
		for p in "$@"; do
			case $p in */) p="$p**" ;; esac
			# shellcheck disable=SC2086 # the pattern is meant to glob
			for f in $p; do
				[ -f "$f" ] && echo "$f"
			done
		done
		) | sort -u
	}
	comm -23 <(expand "${pos[@]}") <(expand "${neg[@]}") |
		comm -12 - "$ourlist"
}

# The number of lines of file $1 that a "Begin: $1 $2" patch carries: those
# before the one line that is exactly $2, less the comment right above
# that line and the blank lines before it.  Empty if $2 is not exactly one
# line of the file.
cut_at() {
	awk -v m="$2" '
	{ l[NR] = $0 }
	$0 == m { n++; at = NR }
	END {
		if (n != 1)
			exit
		k = at - 1
		if (l[k] ~ /\*\/$/ && l[at] !~ /^\/\*/) {
			while (k > 0 && l[k] !~ /^\/\*/)
				k--
			k--
		}
		while (k > 0 && l[k] == "")
			k--
		print k
	}' "$top/$1"
}

# Match every file of ours and every glue patch to exactly one patch, and
# check the Begin: lines: each names a file of ours that a later patch
# carries whole, at a line of it, each one of a file further down.
assign() {
	local i f g n m errors='' used cut
	declare -A owner=() glue_of=() begun=()

	err() {
		errors+="$*"$'\n'
	}

	(cd "$top" && git ls-files -co --exclude-standard -- \
		drivers include Documentation tools) |
		while read -r f; do [ -f "$top/$f" ] && echo "$f"; done |
		sort -u > "$ourlist"
	for ((i = 1; i <= np; i++)); do
		p_files[i]=$(patch_files "$i")
		for f in ${p_files[i]}; do
			if [ -n "${owner[$f]:-}" ]; then
				err "$f: matched by patch ${owner[$f]} and patch $i"
			else
				owner[$f]=$i
			fi
		done
		for g in ${p_glue[i]}; do
			[ -f "$top/patches/$g" ] ||
				err "patch $i: glue patch patches/$g does not exist"
			if [ -n "${glue_of[$g]:-}" ]; then
				err "patches/$g: named by patch ${glue_of[$g]}" \
					"and patch $i"
			fi
			glue_of[$g]=$i
		done
		[ -n "${p_files[i]}${p_glue[i]}${p_begin[i]}" ] ||
			err "patch $i (${p_subject[i]}): matches no file"
	done
	for ((i = 1; i <= np; i++)); do
		while read -r f m; do
			[ -n "$f" ] || continue
			if ! grep -qxF "$f" "$ourlist"; then
				err "$f: patch $i begins it, but it is no file of ours"
				continue
			fi
			if [ "${owner[$f]:-0}" -le "$i" ]; then
				err "$f: patch $i begins it, but no later patch" \
					"carries it whole"
				continue
			fi
			cut=$(cut_at "$f" "$m")
			if [ -z "$cut" ] || [ "$cut" -le 0 ]; then
				err "$f: patch $i begins it up to the line" \
					"\"$m\", which is not exactly one line of it"
			elif [ "$cut" -le "${begun[$f]:-0}" ]; then
				err "$f: patch $i begins it up to the line" \
					"\"$m\", which is not after the previous Begin: of it"
			else
				begun[$f]=$cut
			fi
		done <<< "${p_begin[i]}"
	done
	while read -r f; do
		[ -n "${owner[$f]:-}" ] ||
			err "$f: matched by no patch"
	done < "$ourlist"
	used=$(grep -v '^#' "$top/patches/series")
	for g in $used; do
		[ -n "${glue_of[$g]:-}" ] ||
			err "patches/$g: named by no patch"
	done
	for g in "${!glue_of[@]}"; do
		grep -qxF "$g" <<< "$used" ||
			err "patches/$g: not in patches/series"
	done
	if [ -n "$errors" ]; then
		echo -n "$errors" | sed "s|^|make-series: $split: |" >&2
		n=$(echo -n "$errors" | grep -c .)
		m="series-split does not give every file and glue patch"
		m+=" exactly one patch: $(head -1 <<< "$errors")"
		[ "$n" = 1 ] || m+=" (and $((n - 1)) more)"
		die "$m"
	fi
}

mkdir -p "$work"
ourlist=$work/ours.list
parse_split
assign
echo "make-series: $np patches from $split"

# A git repository of the pristine tree, imported once per tarball: the
# tree object is tagged "import".
[ -f "$tarball" ] || die "$tarball missing (apt-get install linux-source-6.12)"
stamp="$(stat -c '%s %Y' "$tarball") $tarball"
if [ ! -d "$base/.git" ] || [ "$(cat "$work/base.stamp" 2>/dev/null)" != "$stamp" ]; then
	echo "make-series: importing $tarball"
	rm -rf "$base" "$work/base.stamp" "$work"/linux-source-* && mkdir -p "$work"
	tar -xJf "$tarball" -C "$work"
	mv "$work"/linux-source-* "$base"
	git -C "$base" init -q
	git -C "$base" add -A -f
	git -C "$base" tag import "$(git -C "$base" write-tree)"
	echo "$stamp" > "$work/base.stamp"
fi

# The base commit, which format-patch --base records: the imported tree,
# dated as the tarball, so that one sender's series always name the same.
version=$(make -s --no-print-directory -C "$base" kernelversion)
pkg=$(dpkg-query -S "$tarball" 2>/dev/null | cut -d: -f1) || true
pkg_version=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null) || true
origin="${pkg:-$(basename "$tarball")}${pkg_version:+ $pkg_version}"
base_commit=$(GIT_AUTHOR_DATE="@$(stat -c %Y "$tarball") +0000" \
	GIT_COMMITTER_DATE="@$(stat -c %Y "$tarball") +0000" \
	git -C "$base" commit-tree import -F - <<EOF
Linux $version

The tree of $origin, unpacked from
$tarball and imported by the project's make-series.sh
as the base of the series.
EOF
)
[ -d "$base/.git/rebase-apply" ] && git -C "$base" am --abort
git -C "$base" tag -f base "$base_commit" > /dev/null
git -C "$base" checkout -q -f -B series base
git -C "$base" clean -q -fdx

# One commit per patch of the split: its files, the beginnings of those it
# begins, its glue patches (whose message comes before "---"), its
# message, signed off by the sender.
# Only the files a patch touches are added, and the commit is made with
# plumbing: git add -A and git commit would scan the whole tree at every
# patch.
for ((i = 1; i <= np; i++)); do
	touched=()
	for f in ${p_files[i]}; do
		mkdir -p "$base/$(dirname "$f")"
		cp "$top/$f" "$base/$f"
		touched+=("$f")
	done
	while read -r f m; do
		[ -n "$f" ] || continue
		mkdir -p "$base/$(dirname "$f")"
		head -n "$(cut_at "$f" "$m")" "$top/$f" > "$base/$f"
		touched+=("$f")
	done <<< "${p_begin[i]}"
	for g in ${p_glue[i]}; do
		patch -d "$base" -p1 --quiet --forward --no-backup-if-mismatch \
			< "$top/patches/$g" ||
			die "patch $i: glue patch $g does not apply"
		mapfile -t -O "${#touched[@]}" touched < <(sed -n \
			-e 's|^+++ b/\([^\t ]*\).*|\1|p' \
			-e 's|^--- a/\([^\t ]*\).*|\1|p' "$top/patches/$g")
	done
	git -C "$base" add -A -f -- "${touched[@]}"
	tree=$(git -C "$base" write-tree)
	[ "$tree" != "$(git -C "$base" rev-parse 'HEAD^{tree}')" ] ||
		die "patch $i (${p_subject[i]}): nothing to commit"
	msg=$(printf '%s\n\n%s' "${p_subject[i]}" "${p_body[i]}" | git stripspace)
	c=$(printf '%s\n\nSigned-off-by: %s <%s>\n' "$msg" \
		"$GIT_AUTHOR_NAME" "$GIT_AUTHOR_EMAIL" |
		git -C "$base" commit-tree "$tree" -p HEAD -F -)
	git -C "$base" update-ref refs/heads/series "$c"
done

nr=$(git -C "$base" rev-list --count base..series)
rm -rf "$out" && mkdir -p "$out"
git -C "$base" format-patch -q -o "$out" base..series
echo "make-series: $nr patches in $out"

# Prove the series: git am onto the base, compare with the overlay tree.
am_ok=0
git -C "$base" checkout -q -B check base
if ! git -C "$base" am -q "$out"/*.patch > "$work/am.log" 2>&1; then
	git -C "$base" am --abort
	result "FAIL $am_result: git am: $(grep -m1 -i 'error\|failed' "$work/am.log")"
else
	differ=
	for f in $(git -C "$base" diff --name-only base..check); do
		cmp -s "$base/$f" "$overlay/$f" || differ="$differ $f"
	done
	if [ -n "$differ" ]; then
		result "FAIL $am_result: differ from the tested tree:$differ"
	else
		result "PASS $am_result"
		am_ok=1
	fi
fi

# checkpatch --strict on one patch: the findings that are not documented
# exceptions, one a line.
checkpatch() {
	{ "$base/scripts/checkpatch.pl" --strict --no-tree --terse --showfile \
		--show-types "$1" 2>&1 || true; } |
	awk -v exc="$exceptions" '
	BEGIN {
		while ((getline l < exc) > 0)
			if (l !~ /^#/ && split(l, a, " ") >= 2) {
				n++; file[n] = a[1]; type[n] = a[2]
			}
	}
	/^total: / || /^$/ { next }
	{
		f = $0; sub(/:.*/, "", f)
		t = ""
		if (match($0, /(ERROR|WARNING|CHECK):[A-Z0-9_]+:/))
			t = substr($0, RSTART, RLENGTH - 1)
		sub(/^[A-Z]+:/, "", t)
		for (i = 1; i <= n; i++)
			if (t == type[i] && (f == file[i] ||
			    (file[i] ~ /\/$/ && index(f, file[i]) == 1)))
				next
		print
	}'
}

# The recipients: get_maintainer.pl in the tree the series applied to,
# from MAINTAINERS only (the base repository's history is one commit).
recipients() {
	(cd "$base" && ./scripts/get_maintainer.pl --no-git --no-git-fallback \
		"$out"/*.patch)
}

# Wrap the lines of stdin longer than 72 columns; a line "<indent>- <text>"
# or "<indent><number>  <text>" wraps under <text>.
wrap() {
	awk 'length($0) <= 72 { print; next }
	{
		match($0, /^ *(- |[0-9]+(-[0-9]+)? +)?/); ind = RLENGTH
		pad = sprintf("%*s", ind, ""); line = substr($0, 1, ind)
		len = ind; nw = split(substr($0, ind + 1), w, " ")
		for (i = 1; i <= nw; i++) {
			if (len > ind && len + 1 + length(w[i]) > 72) {
				print line; line = pad; len = ind
			}
			if (len > ind) { line = line " "; len++ }
			line = line w[i]; len += length(w[i])
		}
		print line
	}'
}

# The requirements and the deliberate differences, from the documentation
# the series carries: each seed with its thread, and each difference.
doc=$top/Documentation/driver-api/iommu-core.rst
seeds() {
	awk '/^Seed [0-9]+: / { s = $0; next }
	     s && /^\*"/ { t = $0; sub(/^\*/, "", t); sub(/\.\*.*/, "", t)
			   print "- " s ": " t; s = "" }' "$doc" | wrap
}
differences() {
	awk '/^Differences from upstream/ { on = 1; getline; next }
	     !on { next }
	     /^===/ { held = ""; exit }	# held the next section title
	     { if (held != "") print "- " held; held = "" }
	     /^[A-Z]/ && !/^Behaviour/ { held = $0 }
	     END { if (held != "") print "- " held }' "$doc" |
		sed 's/\*(KUnit)\*/(KUnit)/; s/``//g' | wrap
}

# The IOMMU matrix table of README.md: each row with upstream's and our
# result, then what it runs.
matrix() {
	awk -F' *\\| *' '/^### The IOMMU matrix/ { on = 1; next }
		on && /^\| `/ { gsub(/`/, ""); sub(/, below\)/, ")"); n++
				 printf "  %-20s %-28s %s\n", $2, $5, $6
				 printf "      %s: %s\n", $3, $4 }
		on && n && !/^\|/ { exit }' "$top/README.md" | wrap
}

# The benchmark table of README.md (the one after "Latest figures"), two
# lines a figure, and the date and commit of its run.
bench() {
	awk -F' *\\| *' '
		/^The default `make bench` is/ { para = 1 }
		para && match($0, /On [0-9-]+ at `[0-9a-f]+`/) {
			run = substr($0, RSTART + 3, RLENGTH - 3)
			gsub(/`/, "", run); para = 0 }
		/^Latest figures, from that run/ { on = 1; next }
		on && /^\| / && !/^\| (VT-d figure|---)/ { gsub(/`/, ""); n++
			printf "  %s\n", $2
			printf "      upstream %s, ours %s: %s", $3, $5, $6
			if ($9 != "-")
				printf "; no IOMMU %s", $9
			printf "\n" }
		on && n && !/^\|/ { exit }
		END { if (run) printf "  (make bench, %s)\n", run }' "$top/README.md" | wrap
}

# The parts of the series, from the split's Part: lines: the range of
# patches of each and what they are.
parts() {
	local i first=1

	for ((i = 2; i <= np + 1; i++)); do
		[ $i -le $np ] && [ -z "${p_part[i]}" ] && continue
		if [ $first = $((i - 1)) ]; then
			printf '  %-7s%s\n' "$first" "${p_part[first]}"
		else
			printf '  %-7s%s\n' "$first-$((i - 1))" "${p_part[first]}"
		fi
		first=$i
	done | wrap
}

# The patches the KUnit suite runs at, "11, 24 and 34".
kunit_patches() {
	local i l=

	for ((i = 1; i <= np; i++)); do
		[ -n "${p_check[i]}" ] && l+=", $i"
	done
	l=${l#, }
	case $l in
	*,*) echo "${l%, *} and ${l##*, }" ;;
	*) echo "$l" ;;
	esac
}

cover() {
	cat <<EOF
iommu: An IOMMU core and DMA layer split by object, with a KUnit suite

This series adds a second implementation of the IOMMU core, the layer
drivers/iommu/iommu.c holds today (probing, groups, default, blocking
and identity domains, DMA ownership, deferred attach, the per-group
PASID table, map/unmap), behind the unchanged include/linux/iommu.h,
and of the DMA-IOMMU layer above it (dma-iommu.c and iova.c), behind
the unchanged include/linux/iommu-dma.h and include/linux/iova.h; with
a KUnit suite for the contract of both, which runs on either
implementation, and QEMU end-to-end tests.  Each is chosen at build
time: CONFIG_IOMMU_CORE_OURS (the default) or CONFIG_IOMMU_CORE_UPSTREAM,
which builds iommu.c as before, and independently
CONFIG_IOMMU_DMA_LAYER_OURS or CONFIG_IOMMU_DMA_LAYER_UPSTREAM.  Each
pair exports the same symbols with the same kind and namespace, so
vendor drivers, VFIO, iommufd and modules work with either; the rest of
drivers/iommu/ is unchanged.

$(echo "It applies to Linux $version; it was made against the tree of" \
	"$origin, which base-commit below names as imported by the" \
	"project's make-series.sh." | wrap)

How the series is ordered
=========================

$(parts)

Each part adds its files one object, concern or suite per patch (the
three biggest files in two or three patches, part by part), to a
directory kbuild does not descend into yet, and its last patch wires the
directory into drivers/iommu/ (and, for the core and the layer, makes it
selectable).  So every patch builds, and inside a part the kernel is the
one the part's previous patches built: the new core cannot be linked
beside iommu.c, nor the new layer beside dma-iommu.c and iova.c, until
the patch that lets Kconfig choose between them.  The suite comes first,
so that it is proven on iommu.c and upstream's DMA layer before the new
code arrives and then checks each switch: it runs at patches
$(kunit_patches) (upstream's core and layer, the new core, the new core
and layer).  A bisection of a failing case therefore ends at the switch
of the part that broke it, and that part's earlier patches say which
file does what.

The project's "make series" checks this: it builds every patch applied
in order to a pristine 6.12.y with the x86_64 test config below,
incrementally with ccache in one build directory, compiles every new C
file with W=1 at every patch from the one that completes it on (before
its directory is linked, too), and runs the suite where each part is
complete.

What the core must do
=====================

Five linux-iommu threads are its requirements, cited as seeds in the
code and in Documentation/driver-api/iommu-core.rst, which says how
each is met:

$(seeds)

Where it differs from iommu.c on purpose
========================================

Behaviours where the core deliberately differs from iommu.c of 6.12.y,
mostly stricter; those marked (KUnit) are expected failures of the
conformance suite on iommu.c.  The documentation's "Differences from
upstream's iommu.c" says what each one is and why:

$(differences)

Results
=======

The matrix table of the project's README.md, as make check measured it
(QEMU 7.2 under TCG, Debian 12): each row on upstream's core and on
ours.  The KUnit rows count the cases of the conformance suite; an
expected failure is a behaviour a seed requires that iommu.c lacks.

  row                  upstream                     ours
$(matrix)

Every test kernel runs with lockdep, DEBUG_ATOMIC_SLEEP, KASAN and
DMA_API_DEBUG, and any warning, BUG, lockdep, KASAN or DMA API report
fails the run.  The module of the end-to-end tests that runs on our
core is built against upstream's kernel, and the exports of the two
kernels are compared.

The benchmark table of README.md: the DMA and IOMMU API behind VT-d
under QEMU with -icount (guest time counts guest instructions, 1 ns
each, so a figure repeats to the digit), on non-debug kernels; medians
in ns, strict / lazy where they differ, ours/upstream as a ratio (below
1: ours is faster).  README.md says where the differences come from,
and has the other IOMMUs and real NVMe I/O.

$(bench)

How to test it
==============

In the project this series is made from, "make check" builds a kernel
with each core for x86_64 and arm64, runs the conformance suite and the
end-to-end tests on both, builds the ARM32 Exynos row, runs checkpatch
--strict, kernel-doc and sparse on the new code and checks that this
series applies and reproduces the tested tree.  Its last line is
"N passed, N failed".  In a tree with the series applied, the suite
runs with:

  tools/testing/kunit/kunit.py run --arch=x86_64 \\
    --kunitconfig=tools/testing/iommu/configs/common.config \\
    --kunitconfig=tools/testing/iommu/configs/x86_64.config \\
    --qemu_config=tools/testing/iommu/qemu_configs/x86_64_vtd.py

Recipients
==========

scripts/get_maintainer.pl on the series, in the tree it applied to:

$(recipients | sed 's/ (\(.*\))$/\n      (\1)/; s/^/  /' | wrap)
EOF
}

if [ "$check" = 0 ]; then
	git -C "$base" config branch.series.description "$(cover)"
	rm -rf "$out" && mkdir -p "$out"
	git -C "$base" format-patch -q -o "$out" --cover-letter \
		--cover-from-description=subject --base=base base..series
	echo "make-series: cover letter and base-commit $base_commit" \
		"(Linux $version) added"
fi
git -C "$base" checkout -q series

clean=1
for p in "$out"/*.patch; do
	n=$(basename "$p" | cut -c1-4)
	findings=$(checkpatch "$p")
	if [ -n "$findings" ]; then
		while read -r l; do
			echo "make-series: $n: $l"
		done <<< "$findings" >&2
		result "FAIL series/checkpatch-$n: $(echo "$findings" | head -1)"
		clean=0
	else
		result "PASS series/checkpatch-$n"
	fi
done
[ "$check" = 1 ] && exit 0

# Bisectability: build every patch as git am made it, in order, in one
# O= directory.  The kernel build never sees the project's git history:
# setlocalversion would put each commit's hash in the version, and every
# module and the version objects would rebuild at every patch.
built=1
if [ -n "$obj" ] && [ $am_ok = 1 ]; then
	cfgdir=$here/configs
	qemu_config=$here/qemu_configs/x86_64_vtd.py
	jobs=${JOBS:-$(nproc)}
	logs=$work/build-logs
	deps=$obj/.series-deps
	mkdir -p "$obj" "$logs"
	rm -f "$deps"

	kmake() {
		GIT_DIR=/nonexistent make -C "$base" O="$obj" ARCH=x86_64 \
			CC="ccache gcc" "$@"
	}

	# The test config as kunit.py writes it: the QEMU config's options,
	# then the fragments, then the additions; a symbol's last value wins.
	config() {
		{
			awk "/kconfig='''/ { on = 1; sub(/.*kconfig='''/, \"\") }
			     on { if (sub(/'''.*/, \"\")) { print; exit } print }" \
				"$qemu_config"
			cat "$cfgdir/common.config" "$cfgdir/x86_64.config" \
				"$cfgdir/debug.config"
			echo CONFIG_IOMMU_CORE_OURS=y
			echo CONFIG_IOMMU_DMA_LAYER_OURS=y
		} | awk '/^CONFIG_[A-Za-z0-9_]+=/ { k = $0; sub(/=.*/, "", k) }
			 /^# CONFIG_[A-Za-z0-9_]+ is not set$/ { k = $2 }
			 k { if (!(k in v)) o[++n] = k; v[k] = $0; k = "" }
			 END { for (i = 1; i <= n; i++) print v[o[i]] }'
	}

	# Configure for the checked-out patch; the options of the config it
	# does not know yet (CONFIG_IOMMU_CORE_OURS before the core's switch)
	# go to $unknown, any other option olddefconfig lost fails.
	configure() {
		local log=$1 line sym lost=

		config > "$obj/.config"
		if ! KCONFIG_WARN_UNKNOWN_SYMBOLS=1 kmake olddefconfig > "$log" 2>&1; then
			echo "olddefconfig failed: $(grep -m1 -i error "$log")"
			return 1
		fi
		unknown=$(sed -n 's/^\.config:[0-9]*:warning: unknown symbol: //p' "$log" |
			tr '\n' ' ')
		if grep -v '^\.config:' "$log" | grep -q -i 'warning'; then
			echo "Kconfig: $(grep -v '^\.config:' "$log" | grep -m1 -i warning)"
			return 1
		fi
		while read -r line; do
			grep -qxF "$line" "$obj/.config" && continue
			sym=${line%%=*}
			sym=${sym#\# }
			sym=${sym% is not set}
			# Unset and not offered is unset, as kunit.py counts.
			case $line in
			'# '*) grep -q "^$sym=" "$obj/.config" || continue ;;
			esac
			case " $unknown " in *" ${sym#CONFIG_} "*) continue ;; esac
			lost+=" $sym"
		done < <(config)
		if [ -n "$lost" ]; then
			echo "the config lost$lost"
			return 1
		fi
	}

	# What the last full build read: every Kconfig file and every
	# dependency kbuild recorded (not those of the W=1 assembly).
	index_deps() {
		{
			sed -n 's/^[[:space:]]*\([^ ]*Kconfig[^ ]*\) \\$/\1/p' \
				"$obj/include/config/auto.conf.cmd"
			find "$obj" -name '*.cmd' ! -name '*.s.cmd' -print0 |
				xargs -0 sed -n -e "s|^ *$base/\([^ ]*\) *\\\\*\$|\1|p" \
					-e "s|^source_[^ ]* := $base/||p"
		} | sort -u > "$deps"
	}

	# Whether the last full build read any of the files: a top-level
	# file but MAINTAINERS, a file under scripts/ or tools/ outside
	# tools/testing/, a recorded dependency, or any file of a directory
	# kbuild built.
	build_reads() {
		local f d

		for f in "$@"; do
			case $f in
			MAINTAINERS) continue ;;
			*/*) ;;
			*) return 0 ;;
			esac
			case $f in
			tools/testing/*) ;;
			scripts/* | tools/*) return 0 ;;
			esac
			grep -qxF "$f" "$deps" && return 0
			d=$(dirname "$f")
			[ -e "$obj/$d/built-in.a" ] && return 0
			[ -e "$obj/$d/modules.order" ] && return 0
		done
		return 1
	}

	# The lines of a log that report on our files ($ourdirs).
	our_warnings() {
		grep -i -E '(warning|error):' "$1" | grep -F -f "$ourdirs" || true
	}

	# A failed check of patch $num: what, the log that says more.
	fail() {
		result "FAIL series/build-$num: $1 (see $2)"
	}
	first_error() {
		grep -m1 -E 'error|Error' "$1"
	}

	# The checks of the patch checked out as number $1.
	check_patch() {
		local num=$1 first=$2 log=$logs/$1 changed cfiles=() f s notes=
		local t0 warn ncheck=0 nlinked=0 npartial rebuilt=0

		: > "$work/partial.list"

		changed=$(git -C "$base" diff --name-only HEAD~1 HEAD)
		# Our C files in the kernel tree at this patch, and the
		# directories of our kernel files.
		git -C "$base" diff --name-only --diff-filter=A base HEAD -- \
			drivers include > "$work/ours-here.list"
		sed 's|[^/]*$||' "$work/ours-here.list" | sort -u > "$ourdirs"
		[ -s "$ourdirs" ] || echo "/nonexistent/" > "$ourdirs"
		# A file a later patch completes is compiled there.
		mapfile -t cfiles < <(grep '\.c$' "$work/ours-here.list" |
			while read -r f; do
				if git -C "$base" diff --quiet HEAD check -- "$f"; then
					echo "$f"
				else
					echo "$f" >> "$work/partial.list"
				fi
			done)

		if ! configure "$log.config" > "$log.why"; then
			fail "$(cat "$log.why")" "$log.config"
			return 1
		fi
		[ -z "$unknown" ] || notes+="; not yet in Kconfig: ${unknown% }"
		t0=$SECONDS
		# shellcheck disable=SC2086 # one file name a word
		if [ "$first" = 1 ] || [ ! -s "$deps" ] || build_reads $changed; then
			if ! kmake -j"$jobs" all > "$log.build" 2>&1; then
				fail "$(first_error "$log.build")" "$log.build"
				rm -f "$deps"
				return 1
			fi
			index_deps
			rebuilt=1
			s="built in $((SECONDS - t0)) s"
			warn=$(our_warnings "$log.build")
			if [ -n "$warn" ]; then
				fail "$(head -1 <<< "$warn")" "$log.build"
				return 1
			fi
		else
			s="nothing the kernel build reads changed, it is the previous patch's"
		fi

		# W=1 on every C file of ours, to assembly; kernel-doc on those
		# this patch changed.  A patch that changes no kernel file and
		# needed no build (tools/) keeps the previous patch's result.
		if [ ${#cfiles[@]} -gt 0 ] && [ "$rebuilt" = 0 ] &&
		   ! grep -q -E '^(drivers|include|arch)/' <<< "$changed"; then
			s+="; W=1: no kernel file changed"
		elif [ ${#cfiles[@]} -gt 0 ]; then
			local targets=()
			for f in "${cfiles[@]}"; do
				rm -f "$obj/${f%.c}.s"
				targets+=("${f%.c}.s")
				[ -e "$obj/${f%.c}.o" ] && nlinked=$((nlinked + 1))
				ncheck=$((ncheck + 1))
			done
			if ! kmake -j"$jobs" W=1 -k "${targets[@]}" > "$log.w1" 2>&1; then
				fail "W=1: $(first_error "$log.w1")" "$log.w1"
				return 1
			fi
			warn=$(grep -i -E '(warning|error):' "$log.w1" || true)
			if [ -n "$warn" ]; then
				fail "W=1: $(head -1 <<< "$warn")" "$log.w1"
				return 1
			fi
			mapfile -t cfiles < <(grep -x -F -f "$work/ours-here.list" <<< "$changed" |
				grep '\.c$' || true)
			if [ ${#cfiles[@]} -gt 0 ]; then
				(cd "$base" && scripts/kernel-doc -none "${cfiles[@]}") \
					> "$log.kdoc" 2>&1
				if [ -s "$log.kdoc" ]; then
					fail "kernel-doc: $(head -1 "$log.kdoc")" "$log.kdoc"
					return 1
				fi
			fi
			s+="; W=1 clean: $ncheck files"
			[ $nlinked = "$ncheck" ] || s+=" ($((ncheck - nlinked)) not linked yet)"
			npartial=$(grep -c . "$work/partial.list") || true
			[ "$npartial" = 0 ] || s+="; $npartial begun, compiled once complete"
		fi
		result "PASS series/build-$num: $s$notes"
	}

	# The KUnit suite on the kernel just built, with the options of
	# KUNIT_ARGS this patch knows.
	kunit_patch() {
		local num=$1 k=$work/kunit-$1 side args
		local npass nxfail nfail why

		args=(--arch=x86_64 --build_dir="$obj" --jobs="$jobs"
		      --kunitconfig="$cfgdir/common.config"
		      --kunitconfig="$cfgdir/x86_64.config"
		      --kunitconfig="$cfgdir/debug.config"
		      --qemu_config="$qemu_config"
		      "--make_options=CC=ccache gcc")
		side="core: upstream, DMA layer: upstream"
		case " $unknown " in
		*" IOMMU_CORE_OURS "*) ;;
		*) args+=(--kconfig_add=CONFIG_IOMMU_CORE_OURS=y)
		   side="core: ours, DMA layer: upstream" ;;
		esac
		case " $unknown " in
		*" IOMMU_DMA_LAYER_OURS "*) ;;
		*) args+=(--kconfig_add=CONFIG_IOMMU_DMA_LAYER_OURS=y)
		   side=${side%upstream}ours ;;
		esac
		GIT_DIR=/nonexistent "$here/run-kunit.sh" "$base" "$k" "${args[@]}" \
			> "$k.out" 2>&1 || true
		npass=$(grep -c '^PASS ' "$k.results" 2>/dev/null) || true
		nxfail=$(grep -c '^XFAIL ' "$k.results" 2>/dev/null) || true
		nfail=$(grep -c -E '^(FAIL|XPASS) ' "$k.results" 2>/dev/null) || true
		if [ "${nfail:-1}" != 0 ] || [ "${npass:-0}" = 0 ]; then
			why=$(grep -m1 -E '^(FAIL|XPASS) ' "$k.results" 2>/dev/null ||
				echo "no results")
			result "FAIL series/kunit-$num: ${nfail:-?} failed," \
				"$why ($side; see $k.results)"
			return 1
		fi
		result "PASS series/kunit-$num: $npass passed, $nxfail expected failures ($side)"
	}

	# The build directories of our own directories start empty, so that
	# what a previous run built there does not count as built now.
	ourdirs=$work/ourdirs.list
	git -C "$base" diff --name-only --diff-filter=A base check -- drivers include |
		sed 's|/[^/]*$||' | sort -u | while read -r d; do
			git -C "$base" cat-file -e "base:$d" 2>/dev/null ||
				rm -rf "${obj:?}/$d"
		done
	start=$SECONDS
	first=1
	i=0
	for c in $(git -C "$base" rev-list --reverse base..check); do
		i=$((i + 1))
		num=$(printf '%04d' $i)
		git -C "$base" checkout -q --detach "$c"
		t=$SECONDS
		if check_patch "$num" "$first"; then
			first=0
			if [ -n "${p_check[i]}" ]; then
				kunit_patch "$num" || built=0
			fi
		else
			built=0
			first=1
		fi
		echo "make-series: $num took $((SECONDS - t)) s"
	done
	git -C "$base" checkout -q series
	echo "make-series: built $i patches in $((SECONDS - start)) s"
elif [ -n "$obj" ]; then
	result "FAIL series/build: not run, the series does not apply"
	built=0
fi

[ $am_ok = 1 ] || die "the series does not reproduce the tested tree, above"
[ $clean = 1 ] || die "checkpatch --strict has findings, above"
[ $built = 1 ] || die "a patch does not build or the suite fails, above"
echo "make-series: git am applies the series; the result is the tree make check" \
	"builds; checkpatch --strict is clean on every patch${obj:+; every patch builds}"
