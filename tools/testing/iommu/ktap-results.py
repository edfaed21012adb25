#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# usage: ktap-results.py <console-log> <prefix>
#
# Turn the KTAP a KUnit kernel printed into one result line per test case
# (see summary.sh for the format).  A case skipped with a reason starting
# with "XFAIL" is an expected failure: the suite runs on upstream's core,
# which lacks a behaviour one of the seeds requires.  Any other skip is a
# failure, as is a suite whose plan promised more cases than it reported
# (the kernel crashed or hung in the middle of it).
import re
import sys

log, prefix = sys.argv[1], sys.argv[2]
stamp = re.compile(r'^\[\s*\d+\.\d+\]\s?')
result = re.compile(r'^( *)(not ok|ok) (\d+) (\S+)(?:\s*#\s*(SKIP|XFAIL)?\s*(.*))?$')
subtest = re.compile(r'^    # Subtest: (\S+)$')
plan = re.compile(r'^    1\.\.(\d+)$')

suite, planned, seen = None, 0, 0
lines = []


def close_suite():
    if suite is not None and seen < planned:
        lines.append('FAIL %s/%s: %d of %d cases never reported (crash or hang)'
                     % (prefix, suite, planned - seen, planned))


with open(log, errors='replace') as f:
    for raw in f:
        line = stamp.sub('', raw.rstrip('\n'))
        m = subtest.match(line)
        if m:
            close_suite()
            suite, planned, seen = m.group(1), 0, 0
            continue
        m = plan.match(line)
        if m and suite is not None:
            planned = int(m.group(1))
            continue
        m = result.match(line)
        if not m or len(m.group(1)) != 4 or suite is None:
            continue
        seen += 1
        name = '%s/%s.%s' % (prefix, suite, m.group(4))
        reason = (m.group(6) or '').strip()
        if m.group(2) == 'not ok':
            lines.append('FAIL %s: failed' % name)
        elif m.group(5) == 'SKIP' and reason.startswith('XFAIL'):
            lines.append('XFAIL %s: %s' % (name, reason))
        elif m.group(5) == 'SKIP':
            lines.append('FAIL %s: skipped (%s)' % (name, reason))
        else:
            lines.append('PASS %s' % name)
close_suite()

if not lines:
    lines.append('FAIL %s: no KUnit results in %s' % (prefix, log))
print('\n'.join(lines))
