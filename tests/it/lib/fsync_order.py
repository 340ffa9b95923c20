#!/usr/bin/env python3
"""fsync_order.py -- check in an strace log that acknowledgements follow the
fdatasync covering their record (tests/it/promises.sh).

    fsync_order.py TRACE KIND MARKER...

TRACE comes from `strace -f -tt -yy -s 256 -e trace=fdatasync,fsync,write,
writev,sendto,sendmsg,pwrite64,pwritev` of a node.  KIND is "mqtt" (an
acknowledgement is a socket write starting with a PUBACK byte, 0x40) or
"http" (a socket write starting with "HTTP/1.1 201").  The MARKERs are the
payloads published one at a time, in this order, each by a client that
waited for its acknowledgement before the next was sent, so the k-th
acknowledgement answers the k-th marker.

For every marker: a write to a message log segment (a path ending in .log
under a log/ directory) holds it; an fdatasync of that segment starts after
that write; and the k-th acknowledgement starts after that fdatasync ended.
Prints one line per failure and exits 1, or prints a summary and exits 0.
"""
import re
import sys

LINE = re.compile(r'^(\d+)\s+[\d:.]+\s+(.*)$')
START = re.compile(r'^(\w+)\((\d+)<([^>]*)>(.*)$')
RESUMED = re.compile(r'^<\.\.\. (\w+) resumed>')


def events(path):
    """(line, call, fd target, first string argument, phase) per system call
    line; phase is "start" and "end" for a call strace split in two (another
    thread ran in between), else "both"."""
    out = []
    open_calls = {}  # pid -> (call, target) of its unfinished call
    with open(path, errors='replace') as f:
        for i, line in enumerate(f):
            m = LINE.match(line.rstrip('\n'))
            if not m:
                continue
            pid, rest = m.group(1), m.group(2)
            r = RESUMED.match(rest)
            if r:
                call, target = open_calls.pop(pid, (r.group(1), ''))
                out.append((i, call, target, '', 'end'))
                continue
            c = START.match(rest)
            if not c:
                continue
            s = re.search(r'"((?:[^"\\]|\\.)*)"', c.group(4))
            phase = 'both'
            if rest.endswith('<unfinished ...>'):
                open_calls[pid] = (c.group(1), c.group(3))
                phase = 'start'
            out.append((i, c.group(1), c.group(3), s.group(1) if s else '', phase))
    return out


def main():
    trace, kind, markers = sys.argv[1], sys.argv[2], sys.argv[3:]
    ev = events(trace)
    is_log = re.compile(r'/log/\d+\.log$')
    written = {}   # marker -> (line, segment) of the log write holding it
    synced = {}    # marker -> line where the fdatasync covering it ended
    pending = {}   # segment -> markers written, not yet synced
    sync_start = {}  # segment -> (line, markers) of the fdatasync running
    acks = []
    for i, call, target, data, phase in ev:
        if call in ('write', 'writev', 'pwrite64', 'pwritev') and is_log.search(target) and phase != 'end':
            for mk in markers:
                if mk in data and mk not in written:
                    written[mk] = (i, target)
                    pending.setdefault(target, []).append(mk)
        elif call in ('fdatasync', 'fsync') and is_log.search(target):
            if phase != 'end':
                sync_start[target] = (i, list(pending.get(target, [])))
                pending[target] = []
            if phase != 'start':
                for mk in sync_start.get(target, (0, []))[1]:
                    synced.setdefault(mk, i)
        elif call in ('write', 'writev', 'sendto', 'sendmsg') and target.startswith('TCP') and phase != 'end':
            if (kind == 'mqtt' and data.startswith('@')) or (kind == 'http' and data.startswith('HTTP/1.1 201')):
                acks.append(i)
    bad = []
    if len(acks) != len(markers):
        bad.append('%d acknowledgements in the trace for %d messages' % (len(acks), len(markers)))
    for k, mk in enumerate(markers):
        if mk not in written:
            bad.append('%s: no write to a log segment holds it' % mk)
            continue
        if mk not in synced:
            bad.append('%s: written at line %d, never fdatasync-ed' % (mk, written[mk][0] + 1))
            continue
        if k < len(acks) and acks[k] <= synced[mk]:
            bad.append('%s: acknowledged at line %d, before the fdatasync that ended at line %d'
                       % (mk, acks[k] + 1, synced[mk] + 1))
    for b in bad:
        print(b)
    if not bad:
        print('%d %s acknowledgements, each after the fdatasync of its record' % (len(acks), kind))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
