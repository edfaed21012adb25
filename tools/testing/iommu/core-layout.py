#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check the shape of the IOMMU core in drivers/iommu/core/.

usage: core-layout.py <name> <core-src-dir> <core-obj-dir> <upstream iommu.c>
                      <budget-file>

Prints one result line per check ("PASS <name>/<check>: ..." or "FAIL ...")
and, after them, the measurements:

  core-layers      the calls between the core's files, read from the symbol
                   references of their objects (nm), form no loop; the
                   layers are printed bottom first
  core-file-size   no source file of the core is longer than 800 lines
  core-code-lines  the core's code lines (non-blank, non-comment, counted
                   the way cloc counts C) for the contract of upstream's
                   iommu.c, the file it replaces, against iommu.c's: the
                   files <budget-file> lists as "beyond:" (what iommu.c
                   does not do) are left out of that count; the check
                   fails if the count grew past the budget in
                   <budget-file>, which may only go down
"""
import os
import re
import subprocess
import sys

MAX_LINES = 800


def code_lines(path):
    """Lines that hold code once comments are gone: cloc's C count."""
    text = open(path, encoding='utf-8').read()
    out = []
    i, n = 0, len(text)
    while i < n:
        if text.startswith('/*', i):
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
            out.append('\n' * text.count('\n', i, j))
            i = j
        elif text.startswith('//', i):
            j = text.find('\n', i)
            i = n if j < 0 else j
        elif text[i] in '"\'':
            j = i + 1
            while j < n and text[j] != text[i]:
                j += 2 if text[j] == '\\' else 1
            out.append(text[i:j + 1])
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return sum(1 for line in ''.join(out).splitlines() if line.strip())


def symbols(obj):
    """(defined, undefined) global symbols of an object file."""
    res = subprocess.run(['nm', obj], capture_output=True, text=True,
                         check=True)
    defined, undefined = set(), set()
    for line in res.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in 'TDBRC':
            defined.add(parts[2])
        elif len(parts) == 2 and parts[0] == 'U':
            undefined.add(parts[1])
    return defined, undefined


def call_graph(objdir, files):
    """file -> {file it references: [symbols]}, over the core's objects."""
    syms = {}
    for f in files:
        obj = os.path.join(objdir, f[:-2] + '.o')
        if os.path.exists(obj):
            syms[f] = symbols(obj)
    owner = {s: f for f, (defs, _) in syms.items() for s in defs}
    graph = {f: {} for f in syms}
    for f, (_, undefs) in syms.items():
        for s in sorted(undefs):
            g = owner.get(s)
            if g and g != f:
                graph[f].setdefault(g, []).append(s)
    return graph


def layers(graph):
    """Files bottom first, grouped by height; None and a loop if there is one."""
    height = {}
    state = {}
    stack = []

    def visit(f):
        state[f] = 'open'
        stack.append(f)
        h = 0
        for g in sorted(graph[f]):
            if state.get(g) == 'open':
                return stack[stack.index(g):] + [g]
            if g not in state:
                loop = visit(g)
                if loop:
                    return loop
            h = max(h, height[g] + 1)
        height[f] = h
        state[f] = 'done'
        stack.pop()
        return None

    for f in sorted(graph):
        if f not in state:
            loop = visit(f)
            if loop:
                return None, loop
    out = {}
    for f, h in height.items():
        out.setdefault(h, []).append(f)
    return [sorted(out[h]) for h in sorted(out)], None


def main():
    name, src, objdir, upstream, budget_file = sys.argv[1:6]
    files = sorted(f for f in os.listdir(src) if re.match(r'.*\.[ch]$', f))
    results, notes = [], []

    graph = call_graph(objdir, [f for f in files if f.endswith('.c')])
    order, loop = layers(graph)
    if loop:
        edges = ['%s -> %s (%s)' % (a, b, ', '.join(graph[a][b][:3]))
                 for a, b in zip(loop, loop[1:])]
        results.append('FAIL %s/core-layers: loop %s' % (name, '; '.join(edges)))
    elif len(graph) < 2:
        results.append('FAIL %s/core-layers: no objects in %s' % (name, objdir))
    else:
        results.append('PASS %s/core-layers: %d files, %d layers, no loop' %
                       (name, len(graph), len(order)))
        for h, fs in enumerate(order):
            notes.append('layer %d: %s' % (h, ' '.join(fs)))

    lengths = {f: sum(1 for _ in open(os.path.join(src, f), encoding='utf-8'))
               for f in files}
    long_files = ['%s (%d)' % (f, n) for f, n in lengths.items() if n > MAX_LINES]
    if long_files:
        results.append('FAIL %s/core-file-size: over %d lines: %s' %
                       (name, MAX_LINES, ', '.join(long_files)))
    else:
        longest = max(lengths, key=lengths.get)
        results.append('PASS %s/core-file-size: longest %s, %d lines' %
                       (name, longest, lengths[longest]))

    code = {f: code_lines(os.path.join(src, f)) for f in files}
    lines = [line.split('#')[0].strip()
             for line in open(budget_file, encoding='utf-8')]
    budget = int(next(line for line in lines if re.match(r'\d+$', line)))
    beyond = set(w for line in lines if line.startswith('beyond:')
                 for w in line[len('beyond:'):].split())
    unknown = beyond - set(files)
    if unknown:
        results.append('FAIL %s/core-code-lines: %s names no file of the core: %s' %
                       (name, budget_file, ' '.join(sorted(unknown))))
    total = sum(code.values())
    same = sum(n for f, n in code.items() if f not in beyond)
    theirs = code_lines(upstream)
    verdict = 'PASS' if same <= budget else 'FAIL'
    goal = 'met' if same <= theirs else 'not met, %+d' % (same - theirs)
    results.append('%s %s/core-code-lines: %d for iommu.c\'s contract (%d with %s), '
                   'budget %d; iommu.c %d (%.2fx), goal of at most iommu.c\'s %s' %
                   (verdict, name, same, total, ', '.join(sorted(beyond)),
                    budget, theirs, same / theirs, goal))
    for f in files:
        notes.append('code lines %5d  %s%s' %
                     (code[f], f, '  (beyond iommu.c)' if f in beyond else ''))

    print('\n'.join(results))
    print('\n'.join('# ' + n for n in notes))
    return 1 if any(r.startswith('FAIL') for r in results) else 0


if __name__ == '__main__':
    sys.exit(main())
