#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# usage: bench-report.py <dir>
#
# Reads the console logs and QEMU traces run-bench.sh left in <dir>
# (<kernel>-<row>-<mode>-<1t|2t>-r<round>.console and .console.trace;
# kernels "upstream": upstream's core and DMA layer, "ours-dma-upstream":
# our core with upstream's layer, "ours": our core and layer) and writes
# <dir>/results.md and <dir>/results.png.
#
# results.md has, per IOMMU row and group of cases, a table with each
# figure's median and 99th percentile per operation on every kernel, three
# ratios of the medians (ours / upstream: the whole stack;
# ours-dma-upstream / upstream: the two cores under upstream's layer;
# ours / ours-dma-upstream: the two DMA layers on our core) and the spread
# of the medians between rounds (0 under icount); per row, the IOTLB
# invalidations per operation of each case, counted in the traces between
# the module's marks; the DMA API figures of the row without an IOMMU as
# the limit (dma-direct); and how a one-page dma_map_page() splits into the
# IOVA allocator, iommu_map() and the rest.  results.png is a bar chart
# of the three ratios, drawn with gnuplot.  Exits non-zero if a figure is
# missing or reported an error.
import datetime
import os
import re
import statistics
import subprocess
import sys

KERNELS = ('upstream', 'ours-dma-upstream', 'ours')
LABELS = {
    'upstream': 'upstream core + layer',
    'ours-dma-upstream': 'our core + upstream layer',
    'ours': 'our core + layer',
}
ROWS = {
    'intel': 'Intel VT-d, legacy mode (`intel_iommu=on`)',
    'amd': 'AMD-Vi (`amd-iommu,intremap=off`)',
    'virtio': 'virtio-iommu (`virtio-iommu-pci`, ACPI VIOT)',
    'none': 'no IOMMU (`intel_iommu=off`, no IOMMU device: dma-direct)',
    'smmuv3': 'Arm SMMUv3 (arm64 `virt,iommu=smmuv3`, device tree)',
}
# The row whose figures are the limit: no translation at all.  It has no
# table of its own; its figures are the "no IOMMU" column of the others.
LIMIT_ROW = 'none'
# What counts as an IOTLB invalidation in each row's trace.
INVALIDATIONS = {
    'intel': re.compile(r'vtd_inv_desc_iotlb_'),
    'amd': re.compile(r'amdvi_(pages|all|iotlb)_inval'),
    'virtio': re.compile(r'virtio_iommu_unmap '),
    'smmuv3': re.compile(r'smmuv3_(s1_range_inval|cmdq_tlbi_nh)'),
}
MODES = ('strict', 'lazy')
GROUPS = (
    ('DMA API map/unmap', r'map_page_\d+\.'),
    ('2 threads', r'map_page_\d+_2t\.'),
    ('cold', r'map_page_cold_'),
    ('sg', r'map_sg_'),
    ('coherent', r'coherent_'),
    ('core iommu_map', r'iommu_map_'),
    ('IOVA allocator', r'iova_\d+\.'),
    ('attach', r'(attach_detach|claim_attach_release)$'),
    ('core iommu_map on a no-op mock IOMMU', r'mock_map_'),
    ('probe and release of 32 devices behind the mock', r'probe_32'),
)
# Cases that touch no emulated IOMMU, left out of the invalidation tables.
NO_IOMMU = re.compile(r'(iova_|mock_map_|probe_32)')
LOG = re.compile(r'^(.+)-(intel|amd|virtio|none|smmuv3)-(strict|lazy)-(1t|2t)'
                 r'-r(\d+)'
                 r'\.console$')
LINE = re.compile(r'BENCH (\S+) (?:median_ns=(\d+) p99_ns=(\d+) ops=(\d+)'
                  r'|error=(-?\d+))')
MARK = re.compile(r'BENCH mark (\d+) (\S+)')
DOMAIN = re.compile(r'iommu_bench \S+: default domain (\S+),')
# A mark in the trace: the module's config write to the edu's dword 0xfc,
# 0xbe000000 | <mark number> before a case's timed batches, 0xee000000 |
# <mark number> after them (BENCH_MARK_* in bench/iommu_bench.c).
TRACE_MARK = re.compile(r'pci_cfg_write edu \S+ @0xfc <- 0x([0-9a-f]+)$')
MARK_BEGIN = 0xbe000000


def git(top, *args):
    return subprocess.run(['git', '-C', top, *args], capture_output=True,
                          text=True).stdout.strip()


def read_trace(path, names, event):
    """Invalidations per case between the module's marks in one trace."""
    counts, case = {}, None
    try:
        f = open(path, errors='replace')
    except FileNotFoundError:
        return counts
    with f:
        for line in f:
            line = line.strip()
            # The log backend may prefix each event with "<pid>@<time>:".
            line = re.sub(r'^\d+@[\d.]+:', '', line)
            m = TRACE_MARK.match(line)
            if m:
                val = int(m[1], 16)
                nr = val & 0xffffff
                case = names.get(nr) if val - nr == MARK_BEGIN else None
                if case:
                    counts.setdefault(case, 0)
                continue
            if case and event.match(line):
                counts[case] += 1
    return counts


class Bench:
    def __init__(self, out):
        self.out = out
        # (row, figure, mode) -> kernel -> round -> (median, p99) or error
        self.data = {}
        # (row, case, mode) -> kernel -> round -> ops, invalidations
        self.ops, self.inval = {}, {}
        self.order, self.versions, self.rounds = [], set(), set()
        self.kernels, self.rows = set(), []
        self.domains = {}       # (row, mode) -> domain types seen
        self.traced = False

    def read(self):
        for f in sorted(os.listdir(self.out)):
            m = LOG.match(f)
            if m:
                self.read_console(os.path.join(self.out, f), *m.groups())
        # In the order of ROWS, not of the file names.
        self.rows.sort(key=lambda r: (list(ROWS).index(r) if r in ROWS
                                      else len(ROWS), r))

    def read_console(self, path, kernel, row, mode, _set, rnd):
        rnd = int(rnd)
        self.rounds.add(rnd)
        self.kernels.add(kernel)
        if row not in self.rows:
            self.rows.append(row)
        names = {}
        with open(path, errors='replace') as log:
            for line in log:
                v = re.search(r'Linux version (\S+)', line)
                if v:
                    self.versions.add(v[1])
                d = DOMAIN.search(line)
                if d:
                    self.domains.setdefault((row, mode), set()).add(d[1])
                mk = MARK.search(line)
                if mk:
                    names[int(mk[1])] = mk[2]
                    continue
                b = LINE.search(line)
                if not b:
                    continue
                fig = b[1]
                if fig not in self.order:
                    self.order.append(fig)
                val = (int(b[2]), int(b[3])) if b[2] else 'error=' + b[5]
                self.data.setdefault((row, fig, mode), {}).setdefault(
                    kernel, {})[rnd] = val
                if b[2]:
                    self.ops.setdefault((row, fig.split('.')[0], mode),
                                        {}).setdefault(kernel, {})[rnd] = \
                        int(b[4])
        if not names:
            return
        self.traced = True
        counts = read_trace(path + '.trace', names, INVALIDATIONS[row])
        for case in names.values():
            self.inval.setdefault((row, case, mode), {}).setdefault(
                kernel, {})[rnd] = counts.get(case)


def fmt_ratio(a, b):
    return f'{a / b:.2f}' if a is not None and b else '-'


class Report:
    def __init__(self, bench):
        self.b = bench
        self.kernels = [k for k in KERNELS if k in bench.kernels] + \
            sorted(bench.kernels - set(KERNELS))
        self.lines, self.bad, self.bars = [], [], []

    def cell(self, row, kernel, fig, mode):
        """Median over rounds of the median and p99, and the spread."""
        vals = self.b.data.get((row, fig, mode), {}).get(kernel, {})
        nums = [v for v in vals.values() if not isinstance(v, str)]
        errs = [v for v in vals.values() if isinstance(v, str)]
        if errs or len(nums) != len(self.b.rounds):
            why = errs[0] if errs else 'missing'
            self.bad.append(f'{row} {kernel} {fig} {mode}: {why}')
            return None, None, why, '-'
        med = round(statistics.median(n[0] for n in nums))
        p99 = round(statistics.median(n[1] for n in nums))
        meds = [n[0] for n in nums]
        return med, p99, str(med), str(max(meds) - min(meds))

    def header(self):
        b = self.b
        commit = git(TOP, 'rev-parse', '--short', 'HEAD')
        if git(TOP, 'status', '--porcelain', '--untracked-files=no'):
            commit += '-dirty'
        now = datetime.datetime.now(datetime.timezone.utc)
        self.lines += [
            '# IOMMU benchmarks: upstream core and DMA layer vs ours', '',
            f'- date: {now:%Y-%m-%d %H:%M UTC}',
            f'- commit: {commit}',
            f'- kernel: Linux {", ".join(sorted(b.versions)) or "?"}',
            '- kernels: ' + '; '.join(f'`{k}`: {LABELS.get(k, k)}'
                                      for k in self.kernels),
            f'- rounds: {len(b.rounds)} (kernels booted in turn,'
            f' {" ".join(self.kernels)}, one figure per boot and round)',
            '- machine: QEMU q35 (x86_64) or virt (arm64, `-cpu max`), TCG'
            ' with `-icount shift=0,sleep=off` (1 ns per guest instruction),'
            ' edu at 00:03.0 behind the row\'s IOMMU; strict:'
            ' `iommu.strict=1`, lazy: `iommu.strict=0`',
            '- rows: ' + '; '.join(f'{r}: {ROWS.get(r, r)}, default domain'
                                   f' {self.domain_types(r)}'
                                   for r in b.rows),
            '- each figure: the median over rounds of the per-operation'
            ' median and 99th percentile (ns); spread: max - min of the'
            ' rounds\' medians, per kernel in column order',
            '- ratios of the medians: `ours/up` = ours / upstream (the whole'
            ' stack); `core` = ours-dma-upstream / upstream (the two cores'
            ' under upstream\'s DMA layer); `layer` = ours /'
            ' ours-dma-upstream (the two DMA layers on our core); below 1:'
            ' ours is faster', '',
        ]

    def domain_types(self, row):
        return ', '.join(f'{m} {"/".join(sorted(self.b.domains[(row, m)]))}'
                         for m in MODES if (row, m) in self.b.domains)

    def limit(self, fig):
        """The figure without an IOMMU, if that row ran it: (median, p99)."""
        vals = self.b.data.get((LIMIT_ROW, fig, 'strict'), {})
        got = [v for k in vals for v in vals[k].values()]
        nums = [v for v in got if not isinstance(v, str)]
        if len(nums) != len(got):
            self.bad.append(f'{LIMIT_ROW} {fig}: '
                            f'{next(v for v in got if isinstance(v, str))}')
            return None
        if not nums:
            return None
        return (round(statistics.median(n[0] for n in nums)),
                round(statistics.median(n[1] for n in nums)))

    def group(self, row, title, figs):
        ks = self.kernels
        lim = {f: self.limit(f) for f in figs}
        has_lim = any(lim.values())
        self.lines += [
            f'## {row}: {title}', '',
            '| figure | mode | ' + ' | '.join(f'{k} median / p99' for k in ks)
            + (' | no IOMMU median / p99' if has_lim else '')
            + ' | ours/up | core | layer | spread |',
            '| --- | --- |' + ' ---: |' * (len(ks) + 4 + has_lim),
        ]
        for fig in figs:
            for mode in MODES:
                if (row, fig, mode) not in self.b.data:
                    continue
                cells = {k: self.cell(row, k, fig, mode) for k in ks}
                med = {k: c[0] for k, c in cells.items()}
                whole = fmt_ratio(med.get('ours'), med.get('upstream'))
                core = fmt_ratio(med.get('ours-dma-upstream'),
                                 med.get('upstream'))
                layer = fmt_ratio(med.get('ours'),
                                  med.get('ours-dma-upstream'))
                label = f'{row} {fig} {mode}'
                self.bars.append((label, *(None if r == '-' else float(r)
                                           for r in (whole, core, layer))))
                limit = ''
                if has_lim:
                    limit = ' | ' + (f'{lim[fig][0]} / {lim[fig][1]}'
                                     if lim[fig] else '-')
                self.lines.append(
                    f'| {fig} | {mode} | ' +
                    ' | '.join(cells[k][2] + (f' / {cells[k][1]}'
                                              if cells[k][0] is not None
                                              else '') for k in ks) +
                    limit + f' | {whole} | {core} | {layer} | ' +
                    ' / '.join(cells[k][3] for k in ks) + ' |')
        self.lines.append('')

    def invalidations(self, row):
        b, ks = self.b, self.kernels
        cases = []
        for fig in b.order:
            case = fig.split('.')[0]
            if (case not in cases and not NO_IOMMU.match(case) and
                    any((row, case, m) in b.inval for m in MODES)):
                cases.append(case)
        if not cases:
            return
        self.lines += [
            f'## {row}: IOTLB invalidations per operation', '',
            'Counted in QEMU\'s trace between the module\'s marks around'
            ' each case\'s timed batches, divided by the case\'s'
            ' operations (one operation: a map and its unmap, an'
            ' allocation and its free, an attach and its detach), and in'
            ' parentheses the count per boot.'
            + (' virtio-iommu has no invalidation command: its UNMAP'
               ' requests are counted.' if row == 'virtio' else ''), '',
            '| case | mode | ' + ' | '.join(ks) + ' |',
            '| --- | --- |' + ' ---: |' * len(ks),
        ]
        for case in cases:
            for mode in MODES:
                if (row, case, mode) not in b.inval:
                    continue
                self.lines.append(f'| {case} | {mode} | ' + ' | '.join(
                    self.per_op(row, k, case, mode) for k in ks) + ' |')
        self.lines.append('')

    def per_op(self, row, kernel, case, mode):
        """Invalidations per operation, and (the count per boot)."""
        counts = self.b.inval.get((row, case, mode), {}).get(kernel, {})
        ops = self.b.ops.get((row, case, mode), {}).get(kernel, {})
        got = [(c, ops[r]) for r, c in counts.items()
               if c is not None and ops.get(r)]
        if len(got) != len(self.b.rounds):
            self.bad.append(f'{row} {kernel} {case} {mode}: invalidations'
                            ' not counted (no trace or marks)')
            return '-'
        per = statistics.median(c / o for c, o in got)
        lo, hi = min(c for c, _ in got), max(c for c, _ in got)
        # Under icount the counts repeat too; show it if they did not.
        return f'{per:.3f} ({lo}{f"-{hi}" if hi != lo else ""})'

    def split(self):
        """How map_page_1 splits, in the intel row, from measured figures."""
        need = ('map_page_1.map', 'map_page_1.unmap', 'iova_1.alloc',
                'iova_1.free', 'iommu_map_4k.map', 'iommu_map_4k.unmap')
        row, ks = 'intel', self.kernels
        if not all(any((row, f, m) in self.b.data for m in MODES)
                   for f in need):
            return
        self.lines += [
            '## intel: where a one-page dma_map_page() goes', '',
            'From the figures above (medians, ns): `map_page_1` against'
            ' the IOVA allocator alone (`iova_1`) and `iommu_map()` /'
            ' `iommu_unmap()` of 4 KiB on a paging domain of the driver\'s'
            ' (`iommu_map_4k`, the core and the VT-d page table; its unmap'
            ' includes the IOTLB invalidation a strict unmap also does);'
            ' the rest is the DMA layer\'s own path.  Lazy unmap queues the'
            ' invalidation instead, so only its map splits this way.', '',
            '| part | mode | ' + ' | '.join(ks) + ' |',
            '| --- | --- |' + ' ---: |' * len(ks),
        ]
        parts = (('map', 'iova_1.alloc', 'iommu_map_4k.map'),
                 ('unmap', 'iova_1.free', 'iommu_map_4k.unmap'))
        for op, iova, core in parts:
            for mode in MODES if op == 'map' else ('strict',):
                rows = ((f'`map_page_1.{op}`', [f'map_page_1.{op}']),
                        (f'IOVA {"alloc" if op == "map" else "free"}',
                         [iova]),
                        (f'`iommu_{op}` 4 KiB', [core]),
                        ('rest (DMA layer)', [f'map_page_1.{op}', iova,
                                              core]))
                for label, figs in rows:
                    vals = []
                    for k in ks:
                        v = [self.cell(row, k, f, mode)[0] for f in figs]
                        if None in v:
                            vals.append('-')
                        else:
                            vals.append(str(v[0] - sum(v[1:])))
                    self.lines.append(f'| {label} | {mode} | ' +
                                      ' | '.join(vals) + ' |')
        self.lines.append('')

    def write(self):
        b = self.b
        self.header()
        for row in b.rows:
            if row == LIMIT_ROW:
                continue
            for title, pattern in GROUPS:
                figs = [f for f in b.order if re.match(pattern, f) and
                        any((row, f, m) in b.data for m in MODES)]
                if figs:
                    self.group(row, title, figs)
            if b.traced:
                self.invalidations(row)
        self.split()
        for fig in b.order:
            if not any(re.match(p, fig) for _, p in GROUPS):
                self.bad.append(f'{fig}: not a known figure')
        if not b.order:
            self.bad.append(f'no BENCH lines in {b.out}/*.console')
        self.bad = list(dict.fromkeys(self.bad))
        if self.bad:
            self.lines += ['## Missing or failed', ''] + \
                [f'- {x}' for x in self.bad] + ['']
        with open(os.path.join(b.out, 'results.md'), 'w') as f:
            f.write('\n'.join(self.lines).rstrip() + '\n')
        print(f'bench-report: {os.path.join(b.out, "results.md")}')


def plot(out, bars):
    """Three bars per figure: whole stack, cores, DMA layers."""
    bars = [x for x in bars if any(r is not None for r in x[1:])]
    if not bars:
        return
    dat = os.path.join(out, 'results.dat')
    ratios = []
    with open(dat, 'w') as f:
        # Top to bottom in table order; blue or green where ours is
        # faster, red or orange where it is slower.
        for i, (label, *rs) in enumerate(reversed(bars)):
            for off, r, colors in ((0.27, rs[0], (0x3070b0, 0xc03030)),
                                   (0.0, rs[1], (0x40a060, 0xe08020)),
                                   (-0.27, rs[2], (0x90c0f0, 0xf0a0a0))):
                if r is None:
                    continue
                ratios.append(r)
                f.write(f'{i + off:.2f} "{label}" {r:.4f}'
                        f' {colors[r > 1]} {i}\n')
    lo = min(0.45, min(ratios) - 0.01)
    hi = max(1.05, max(ratios) + 0.01)
    n = len(bars)
    # Each bar goes from 1.0 to its ratio; the label sits on the middle one.
    script = f'''
set terminal pngcairo noenhanced size 1000,{150 + 20 * n} font ",8"
set output "{os.path.join(out, 'results.png')}"
set title "IOMMU benchmarks, time per operation (below 1: ours is faster)\\n\
top, dark: ours / upstream (whole stack)\\n\
middle, green: our core / upstream core, both under upstream's layer\\n\
bottom, light: our layer / upstream layer, both on our core"
set xlabel "ratio"
set yrange [-1:{n}]
set xrange [{lo:.2f}:{hi:.2f}]
set grid xtics
set style fill solid 0.8 noborder
set arrow from 1, graph 0 to 1, graph 1 nohead lw 2 lc rgb "black"
unset key
plot "{dat}" using ((1 + $3) / 2):1:(abs($3 - 1) / 2):(0.13):4 \\
     with boxxyerror lc rgb variable, \\
     "{dat}" using (NaN):5:ytic(2) notitle
'''
    r = subprocess.run(['gnuplot'], input=script, text=True,
                       capture_output=True)
    if r.returncode:
        print(f'bench-report: gnuplot failed: {r.stderr.strip()}',
              file=sys.stderr)
        sys.exit(1)
    print(f'bench-report: {os.path.join(out, "results.png")}')


TOP = os.path.realpath(os.path.join(os.path.dirname(__file__), '../../..'))


def main():
    bench = Bench(sys.argv[1])
    bench.read()
    report = Report(bench)
    report.write()
    plot(bench.out, report.bars)
    if report.bad:
        print('bench-report: missing or failed:\n  ' +
              '\n  '.join(report.bad), file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    main()
