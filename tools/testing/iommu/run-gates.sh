#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: run-gates.sh <project-root> <tree> <kdir> <out-prefix>
#
# Quality gates on our kernel sources: checkpatch --strict, kernel-doc and
# sparse (C=2, i.e. every file checked whether or not it needs rebuilding).
# <kdir> is a configured O= directory built with our core.  Writes one
# result line per gate and per offending file to <out-prefix>.results.
top=$(realpath "$1")
tree=$(realpath "$2")
kdir=$(realpath "$3")
out=$(realpath -m "$4")
name=$(basename "$out")
: > "$out.results"
: > "$out.log"

cd "$top" || exit 1
# checkpatch also takes the guest program, the module and the scripts of
# the tests under tools/: they are held to the core's standard.
files=$(git ls-files -co --exclude-standard -- 'drivers/iommu/core/*.[ch]' \
	'drivers/iommu/tests/*.[ch]' 'tools/testing/iommu/guest/*' \
	'tools/testing/iommu/module/*' 'tools/testing/iommu/*.sh' \
	'tools/testing/iommu/*.py')

# Documented exceptions: tools/testing/iommu/checkpatch-exceptions
exceptions=tools/testing/iommu/checkpatch-exceptions
bad=0
for f in $files; do
	ignore=$(awk -v f="$f" '/^[^#]/ && ($1 == f || ($1 ~ /\/$/ && index(f, $1) == 1)) {
		printf "%s%s", sep, $2; sep = "," }' "$exceptions")
	if ! "$tree/scripts/checkpatch.pl" --strict --no-tree --quiet \
			${ignore:+--ignore "$ignore"} -f "$f" >> "$out.log" 2>&1; then
		echo "FAIL $name/checkpatch: $f" >> "$out.results"
		bad=1
	fi
done
[ $bad = 0 ] && echo "PASS $name/checkpatch" >> "$out.results"

bad=0
for f in $(echo "$files" | grep '^drivers/iommu/core/'); do
	msgs=$("$tree/scripts/kernel-doc" -none "$f" 2>&1)
	if [ -n "$msgs" ]; then
		echo "$msgs" >> "$out.log"
		echo "FAIL $name/kernel-doc: $f" >> "$out.results"
		bad=1
	fi
done
[ $bad = 0 ] && echo "PASS $name/kernel-doc" >> "$out.results"

# sparse prints its findings as "<file>:<line>:<col>: warning|error: ..."
sparse_log=$out.sparse
make -s -C "$tree" O="$kdir" CC="ccache gcc" C=2 drivers/iommu/core/ drivers/iommu/tests/ \
	> "$sparse_log" 2>&1
rc=$?
hits=$(grep -E '(core|tests)/[^:]*\.[ch]:[0-9]+:[0-9]+: (warning|error)' "$sparse_log")
if [ $rc -ne 0 ] || [ -n "$hits" ]; then
	echo "FAIL $name/sparse: $(echo "$hits" | head -1)" >> "$out.results"
	cat "$sparse_log" >> "$out.log"
else
	echo "PASS $name/sparse" >> "$out.results"
fi
cat "$out.results"
! grep -q '^FAIL' "$out.results"
