#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: run-gates.sh <project-root> <tree> <kdir> <out-prefix>
#
# Quality gates on our kernel sources: checkpatch --strict, kernel-doc,
# sparse (C=2, i.e. every file checked whether or not it needs rebuilding),
# the core's layering and size (core-layout.py) and Coccinelle (the
# tree's coccicheck, and our semantic patches for the core's invariants in
# tools/testing/iommu/cocci/).
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
# checkpatch also takes the guest program, the modules and the scripts of
# the tests under tools/: they are held to the core's standard.
files=$(git ls-files -co --exclude-standard -- 'drivers/iommu/core/*.[ch]' \
	'drivers/iommu/dma/*.[ch]' 'drivers/iommu/tests/*.[ch]' 'tools/testing/iommu/guest/*' \
	'tools/testing/iommu/module/*' 'tools/testing/iommu/bench/*' \
	'tools/testing/iommu/*.sh' 'tools/testing/iommu/*.py')

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
for f in $(echo "$files" | grep -E '^drivers/iommu/(core|dma)/'); do
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
make -s -C "$tree" O="$kdir" CC="ccache gcc" C=2 drivers/iommu/core/ drivers/iommu/dma/ \
	drivers/iommu/tests/ \
	> "$sparse_log" 2>&1
rc=$?
hits=$(grep -E '(core|dma|tests)/[^:]*\.[ch]:[0-9]+:[0-9]+: (warning|error)' "$sparse_log")
if [ $rc -ne 0 ] || [ -n "$hits" ]; then
	echo "FAIL $name/sparse: $(echo "$hits" | head -1)" >> "$out.results"
	cat "$sparse_log" >> "$out.log"
else
	echo "PASS $name/sparse" >> "$out.results"
fi
# The core's shape: no loop between its files (from the objects' symbol
# references, so sparse's build above must have made them), no file over
# 800 lines, and its code lines against iommu.c's under a budget.
"$top/tools/testing/iommu/core-layout.py" "$name" drivers/iommu/core \
	"$kdir/drivers/iommu/core" "$tree/drivers/iommu/iommu.c" \
	tools/testing/iommu/core-code-budget > "$out.layout" 2>&1
grep -E '^(PASS|FAIL) ' "$out.layout" >> "$out.results" ||
	echo "FAIL $name/core-layout: $(head -1 "$out.layout")" >> "$out.results"
cat "$out.layout" >> "$out.log"

# Coccinelle: the tree's own semantic patches on our directories, then
# ours (tools/testing/iommu/cocci/*.cocci) for the core's invariants, each
# of which must also catch the violation planted for it.  A finding is a
# "<file>:<line>:<col>: ..." line.
cocci=$top/tools/testing/iommu/cocci
cocci_log=$out.cocci
: > "$cocci_log"
hits=
for dir in drivers/iommu/core drivers/iommu/dma drivers/iommu/tests; do
	make -s -C "$tree" O="$kdir" coccicheck MODE=report M="$dir" \
		>> "$cocci_log" 2>&1 || hits="coccicheck failed on $dir"
done
hits=${hits:-$(grep -E '^[^ ]+\.[ch]:[0-9]+:' "$cocci_log" | head -1)}
if [ -n "$hits" ]; then
	echo "FAIL $name/coccicheck: $hits" >> "$out.results"
	cat "$cocci_log" >> "$out.log"
else
	echo "PASS $name/coccicheck" >> "$out.results"
fi
run_spatch() {
	spatch -D report --no-show-diff --very-quiet --no-includes \
		--include-headers --cocci-file "$@" 2>&1 |
		grep -E '^[^ ]+\.[ch]:[0-9]+:'
}
for sp in "$cocci"/*.cocci; do
	rule=$(basename "$sp" .cocci)
	found=$(run_spatch "$sp" --dir "$top/drivers/iommu/core")
	planted=$(run_spatch "$sp" "$cocci/planted/violations.c")
	if [ -n "$found" ]; then
		echo "$found" >> "$out.log"
		echo "FAIL $name/cocci-$rule: $(echo "$found" | head -1)" >> "$out.results"
	elif [ -z "$planted" ]; then
		echo "FAIL $name/cocci-$rule: missed the violation planted for it" >> "$out.results"
	else
		echo "PASS $name/cocci-$rule" >> "$out.results"
	fi
done

cat "$out.results"
! grep -q '^FAIL' "$out.results"
