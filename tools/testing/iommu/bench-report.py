#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# usage: bench-report.py <dir>
#
# Reads the console logs run-bench.sh left in <dir>
# (<kernel>-<mode>-<1t|2t>-r<round>.console, kernels "upstream" and
# "ours") and writes <dir>/results.md, one table per group of cases with
# each figure's median per operation on both cores, their ratio and the
# spread of the medians between rounds, and <dir>/results.png, a bar chart
# of the ratios drawn with gnuplot.  Exits non-zero if a figure is missing
# or reported an error.
import datetime
import os
import re
import statistics
import subprocess
import sys

KERNELS = ('upstream', 'ours')
MODES = ('strict', 'lazy')
GROUPS = (
    ('DMA API map/unmap', r'map_page_\d+\.'),
    ('2 threads', r'map_page_\d+_2t\.'),
    ('cold', r'map_page_cold_'),
    ('sg', r'map_sg_'),
    ('coherent', r'coherent_'),
    ('core iommu_map', r'iommu_map_'),
    ('attach', r'(attach_detach|claim_attach_release)$'),
)
LOG = re.compile(r'^(\w+)-(strict|lazy)-(1t|2t)-r(\d+)\.console$')
LINE = re.compile(r'BENCH (\S+) (?:median_ns=(\d+) p99_ns=(\d+) ops=(\d+)'
                  r'|error=(-?\d+))')


def git(top, *args):
    return subprocess.run(['git', '-C', top, *args], capture_output=True,
                          text=True).stdout.strip()


def main():
    out = sys.argv[1]
    top = os.path.realpath(os.path.join(os.path.dirname(__file__),
                                        '../../..'))
    # (figure, mode) -> kernel -> round -> median or 'error=<n>'
    data, order, versions, rounds = {}, [], set(), set()
    for f in sorted(os.listdir(out)):
        m = LOG.match(f)
        if not m or m[1] not in KERNELS:
            continue
        kernel, mode, rnd = m[1], m[2], int(m[4])
        rounds.add(rnd)
        with open(os.path.join(out, f), errors='replace') as log:
            for line in log:
                v = re.search(r'Linux version (\S+)', line)
                if v:
                    versions.add(v[1])
                b = LINE.search(line)
                if not b:
                    continue
                fig = b[1]
                if fig not in order:
                    order.append(fig)
                val = int(b[2]) if b[2] else 'error=' + b[5]
                data.setdefault((fig, mode), {}).setdefault(
                    kernel, {})[rnd] = val

    commit = git(top, 'rev-parse', '--short', 'HEAD')
    if git(top, 'status', '--porcelain'):
        commit += '-dirty'
    lines = [
        '# IOMMU benchmarks: upstream core vs ours', '',
        f'- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}',
        f'- commit: {commit}',
        f'- kernel: Linux {", ".join(sorted(versions)) or "?"}',
        f'- rounds: {len(rounds)} (kernels booted A B A B, one figure per'
        ' boot and round)',
        '- machine: QEMU q35, TCG with `-icount shift=0,sleep=off` (1 ns per'
        ' guest instruction), Intel VT-d legacy mode, edu at 00:03.0;'
        ' strict: `iommu.strict=1`, lazy: `iommu.strict=0`',
        '- each figure: the median over rounds of the per-operation median'
        ' (ns); spread: max - min of the rounds\' medians, upstream / ours', '',
    ]
    bad, bars = [], []

    def cell(kernel, fig, mode):
        vals = data.get((fig, mode), {}).get(kernel, {})
        nums = [v for v in vals.values() if isinstance(v, int)]
        errs = [v for v in vals.values() if not isinstance(v, int)]
        if errs or len(nums) != len(rounds):
            bad.append(f'{kernel} {fig} {mode}: {errs[0] if errs else "missing"}')
            return None, errs[0] if errs else 'missing', '-'
        med = round(statistics.median(nums))
        return med, str(med), str(max(nums) - min(nums))

    for title, pattern in GROUPS:
        figs = [f for f in order if re.match(pattern, f)]
        if not figs:
            continue
        lines += [f'## {title}', '',
                  '| figure | mode | upstream ns | ours ns | ours/upstream'
                  ' | spread ns |',
                  '| --- | --- | ---: | ---: | ---: | ---: |']
        for fig in figs:
            for mode in MODES:
                if (fig, mode) not in data:
                    continue
                (u, us, usp), (o, os_, osp) = (cell(k, fig, mode)
                                               for k in KERNELS)
                ratio = f'{o / u:.2f}' if u and o is not None else '-'
                if ratio != '-':
                    bars.append((f'{fig} {mode}', o / u))
                lines.append(f'| {fig} | {mode} | {us} | {os_} | {ratio}'
                             f' | {usp} / {osp} |')
        lines.append('')
    for fig in order:
        if not any(re.match(p, fig) for _, p in GROUPS):
            vals = {v for (f, _), ks in data.items() if f == fig
                    for rs in ks.values() for v in rs.values()}
            bad.append(f'{fig}: not a known figure '
                       f'({", ".join(sorted(map(str, vals)))})')
    if not order:
        bad.append(f'no BENCH lines in {out}/*.console')
    if bad:
        lines += ['## Missing or failed', ''] + [f'- {b}' for b in bad] + ['']
    with open(os.path.join(out, 'results.md'), 'w') as f:
        f.write('\n'.join(lines).rstrip() + '\n')
    print(f'bench-report: {os.path.join(out, "results.md")}')
    plot(out, bars)
    if bad:
        print('bench-report: missing or failed:\n  ' + '\n  '.join(bad),
              file=sys.stderr)
        sys.exit(1)


def plot(out, bars):
    if not bars:
        return
    dat = os.path.join(out, 'results.dat')
    with open(dat, 'w') as f:
        # Top to bottom in table order; red where ours is slower.
        for i, (label, ratio) in enumerate(reversed(bars)):
            color = 0xc03030 if ratio > 1 else 0x3070b0
            f.write(f'{i} "{label}" {ratio:.4f} {color}\n')
    ratios = [r for _, r in bars]
    lo = min(0.95, min(ratios) - 0.01)
    hi = max(1.05, max(ratios) + 0.01)
    # Each bar goes from 1.0 to its ratio.
    script = f'''
set terminal pngcairo noenhanced size 900,{120 + 18 * len(bars)} font ",9"
set output "{os.path.join(out, 'results.png')}"
set title "IOMMU benchmarks: time per operation, ours / upstream (below 1: ours is faster)"
set xlabel "ours / upstream"
set yrange [-1:{len(bars)}]
set xrange [{lo:.2f}:{hi:.2f}]
set grid xtics
set style fill solid 0.7 noborder
set arrow from 1, graph 0 to 1, graph 1 nohead lw 2 lc rgb "black"
unset key
plot "{dat}" using ((1 + $3) / 2):1:(abs($3 - 1) / 2):(0.4):4:ytic(2) \\
     with boxxyerror lc rgb variable
'''
    r = subprocess.run(['gnuplot'], input=script, text=True,
                       capture_output=True)
    if r.returncode:
        print(f'bench-report: gnuplot failed: {r.stderr.strip()}',
              file=sys.stderr)
        sys.exit(1)
    print(f'bench-report: {os.path.join(out, "results.png")}')


if __name__ == '__main__':
    main()
