#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# usage: bench-io-report.py <log dir> <out.md>
#
# Reads the console logs run-bench-io.sh left in <log dir>
# (<kernel>-<mode>-r<round>.console; modes strict, lazy, and the limits
# pt and none) and writes <out.md>: two tables, the guest instructions per
# I/O and the IOPS in guest time, with a row per iobench case and mode
# and a column per kernel (upstream, our core with upstream's DMA layer,
# ours), the ratio ours / upstream and the two limits.  Each figure is the
# median over the rounds.  Exits non-zero if a figure is missing or a
# case reported an error.
import datetime
import os
import re
import statistics
import subprocess
import sys

KERNELS = ('upstream', 'ours-dma-upstream', 'ours')
KERNEL_TEXT = {
    'upstream': 'upstream',
    'ours-dma-upstream': 'ours-core + upstream-layer',
    'ours': 'ours',
}
CASES = {
    'randread_4k': '4 KiB random read, QD 32',
    'randwrite_4k': '4 KiB random write, QD 32',
    'seqread_128k': '128 KiB sequential read, QD 32',
    'seqwrite_128k': '128 KiB sequential write, QD 32',
}
LOG = re.compile(r'^(.+)-(strict|lazy|pt|none)-r(\d+)\.console$')
LINE = re.compile(r'IOBENCH (\w+) (?:iops=\d+ ns_per_io=\d+ ios=(\d+)'
                  r' busy_ns=(\d+)(?: elapsed_ns=\d+ irqs=(\d+))?'
                  r'|error=(.*))')
DEVICE = re.compile(r'IOBENCH device (\S+) pci=(\S+) group=(\S+) type=(\S+)')


def git(top, *args):
    return subprocess.run(['git', '-C', top, *args], capture_output=True,
                          text=True).stdout.strip()


def read_logs(logs):
    """(case, kernel, mode) -> round -> (ios, busy ns, NVMe interrupts or
    None) or 'error=...'"""
    data, versions, rounds, types, bad = {}, set(), set(), {}, []
    for f in sorted(os.listdir(logs)):
        m = LOG.match(f)
        if not m:
            continue
        kernel, mode, rnd = m[1], m[2], int(m[3])
        rounds.add(rnd)
        with open(os.path.join(logs, f), errors='replace') as log:
            for line in log:
                v = re.search(r'Linux version (\S+)', line)
                if v:
                    versions.add(v[1])
                d = DEVICE.search(line)
                if d:
                    types.setdefault(mode, set()).add(d[4])
                    continue
                b = LINE.search(line)
                if not b:
                    continue
                if b[1] in ('calibrate', 'done', 'setup'):
                    if b[5]:
                        bad.append(f'{kernel} {mode} r{rnd}: {b[1]} '
                                   f'error={b[5].strip()}')
                    continue
                val = ((int(b[2]), int(b[3]), b[4] and int(b[4])) if b[2]
                       else 'error=' + b[5].strip())
                data.setdefault((b[1], kernel, mode), {})[rnd] = val
    return data, versions, rounds, types, bad


def main():
    if len(sys.argv) != 3:
        sys.exit('usage: bench-io-report.py <log dir> <out.md>')
    logs, md = sys.argv[1], sys.argv[2]
    top = os.path.realpath(os.path.join(os.path.dirname(__file__),
                                        '../../..'))
    data, versions, rounds, types, bad = read_logs(logs)
    ran = {k for _, k, _ in data}
    kernels = list(KERNELS) + sorted(ran - set(KERNELS))
    limit_kernel = next((k for c, k, m in data if m in ('pt', 'none')), None)

    def fig(case, kernel, mode):
        """The medians over the rounds of the instructions per I/O, of
        the IOPS per busy guest second and of the I/Os per interrupt
        (or None), and the spread of the first in per cent; or None
        (and a note in bad)."""
        vals = data.get((case, kernel, mode))
        if vals is None:
            if kernel in ran:
                bad.append(f'{kernel} {mode} {case}: missing')
            return None
        nums = [v for v in vals.values() if not isinstance(v, str)]
        errs = [v for v in vals.values() if isinstance(v, str)]
        if errs or len(nums) != len(rounds):
            bad.append(f'{kernel} {mode} {case}: '
                       f'{errs[0] if errs else "missing in a round"}')
            return None
        ns = [busy / ios for ios, busy, _ in nums]
        med = statistics.median(ns)
        iops = statistics.median(ios * 10**9 / busy for ios, busy, _ in nums)
        per_irq = (statistics.median(ios / irqs for ios, _, irqs in nums)
                   if all(irqs for _, _, irqs in nums) else None)
        return (round(med), round(iops), per_irq,
                100 * (max(ns) - min(ns)) / med)

    commit = git(top, 'rev-parse', '--short', 'HEAD')
    if git(top, 'status', '--porcelain'):
        commit += '-dirty'
    lines = [
        '# IOMMU benchmarks: real NVMe I/O', '',
        f'- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}',
        f'- commit: {commit}',
        f'- kernel: Linux {", ".join(sorted(versions)) or "?"}, non-debug'
        ' benchmark configs (configs/bench.config)',
        f'- rounds: {len(rounds)}; each figure is the median over them',
        '- machine: QEMU q35, TCG with `-icount shift=0,sleep=off`, `-smp 1`,'
        ' 1 GiB, a QEMU `nvme` disk (raw image in the host\'s page cache) at'
        ' 00:06.0 behind an Intel VT-d (legacy mode); strict:'
        ' `iommu.strict=1`, lazy: `iommu.strict=0`',
        f'- limits, on {limit_kernel or "-"}: pt, `iommu=pt` (identity'
        ' domain); no IOMMU, no VT-d in the machine and `intel_iommu=off`;'
        ' they do not depend on strict or lazy and repeat in both rows',
        '- the NVMe\'s IOMMU domain as the guest saw it: ' + '; '.join(
            f'{m} {", ".join(sorted(types[m]))}'
            for m in ('strict', 'lazy', 'pt', 'none') if m in types),
        '- iobench (tools/testing/iommu/bench/iobench.c): O_DIRECT on'
        ' /dev/nvme0n1 through io_uring at queue depth 32, 20000 I/Os per'
        ' 4 KiB case and 4000 per 128 KiB case after a warm-up of an eighth'
        ' as many',
        f'- raw console logs: {os.path.basename(os.path.normpath(logs))}/'
        '<kernel>-<mode>-r<round>.console beside this file',
    ]
    lines += [f'- {KERNEL_TEXT[k]} ({k}): not built, not run'
              for k in KERNELS if k not in ran] + ['']
    cols = [KERNEL_TEXT.get(k, k) for k in kernels]
    head = ('| case | ' + ' | '.join(cols) +
            ' | ours / upstream | pt limit | no-IOMMU limit | spread |')
    rule = '| --- |' + ' ---: |' * (len(cols) + 4)

    def num(f, idx):
        if not f or f[idx] is None:
            return '-'
        return f'{f[idx]:.1f}' if isinstance(f[idx], float) else str(f[idx])

    def table(idx, title, notes):
        out = [f'## {title}', ''] + notes + ['', head, rule]
        spreads = []
        for case in CASES:
            if not any(c == case for c, _, _ in data):
                continue
            lim = [fig(case, limit_kernel, m) for m in ('pt', 'none')]
            for mode in ('strict', 'lazy'):
                figs = {k: fig(case, k, mode) for k in kernels}
                row = [f'{CASES[case]}, {mode}']
                row += [num(f, idx) for f in figs.values()]
                up, ours = figs.get('upstream'), figs.get('ours')
                row.append(f'{ours[idx] / up[idx]:.3f}' if num(up, idx) != '-'
                           and num(ours, idx) != '-' else '-')
                row += [num(f, idx) for f in lim]
                sp = [f[3] for f in (*figs.values(), *lim) if f]
                spreads += sp
                row.append(f'{max(sp):.1f} %' if sp else '-')
                out.append('| ' + ' | '.join(row) + ' |')
        return out + ['']

    lines += table(0, 'Guest instructions per I/O (guest ns / I/O under'
                   ' icount)', [
        'Under `-icount shift=0,sleep=off` guest time counts guest'
        ' instructions, 1 ns each, so instructions per I/O = guest ns of'
        ' busy time / I/Os: everything the guest ran for the I/O (io_uring,'
        ' block layer, NVMe driver, DMA mapping and IOMMU, the interrupt,'
        ' the context switches, the timer ticks meanwhile).  Busy time is'
        ' the elapsed guest time less the instructions of iobench\'s idle'
        ' loop, which runs whenever the guest has nothing else to do.'
        '  Lower is better; spread: the largest (max - min) / median over'
        ' the rounds among the row\'s figures.'])
    lines += table(1, 'IOPS per guest second (10^9 guest instructions)', [
        'I/Os per second of busy guest time, 1 guest second being 10^9'
        ' guest instructions: the IOPS one guest CPU sustains when the'
        ' device is never the bottleneck, 10^9 / instructions per I/O'
        ' (the median of each round\'s).  Higher is better; spread as'
        ' above, of the instructions per I/O.  The consoles\' `iops=`'
        ' figures count the elapsed guest time instead, idle loop'
        ' included: while QEMU serves an I/O on the host the guest runs'
        ' its idle loop, so they count how fast the host was and vary'
        ' between runs by tens of per cent; they are not tabled.'])
    lines += table(2, 'I/Os per NVMe interrupt', [
        'Completions per interrupt, the median over the rounds: how far'
        ' the host let completions batch.  The slower the host served the'
        ' I/Os, the fewer each interrupt finds and the more interrupts,'
        ' wake-ups and system calls the guest spends per I/O: a round with'
        ' far fewer than the others is the cause of a large spread above,'
        ' not the kernel.  Spread as above, of the instructions per I/O.'])
    if not data:
        bad.append(f'no IOBENCH lines in {logs}/*.console')
    # Each table asks for each figure again, the limits once per mode
    bad = list(dict.fromkeys(bad))
    if bad:
        lines += ['## Missing or failed', ''] + [f'- {b}' for b in bad] + ['']
    with open(md, 'w') as f:
        f.write('\n'.join(lines).rstrip() + '\n')
    print(f'bench-io-report: {md}')
    if bad:
        print('bench-io-report: missing or failed:\n  ' + '\n  '.join(bad),
              file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    main()
