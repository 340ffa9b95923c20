#!/usr/bin/env python3
"""leak_facts.py -- the registry facts and canonical labels tests/it/leak.sh
gives its reference client (tests/it/leak.c), computed from the data files
here rather than asked of the binary under test.

    leak_facts.py groups REGISTRY_DIR DATE NATION...
        G<TAB>ID<TAB>f|c<TAB>ACTIVE<TAB>MEMBERS  per framework and community
        (members on DATE; ACTIVE: a community open on DATE), then
        A<TAB>NATION<TAB>0|1  (security agreement with NATO, or member, on DATE)
    leak_facts.py labels REGISTRY_DIR POLICY_XML MAX < CANDIDATES
        L<TAB>CANDIDATE<TAB>CANONICAL  for the first MAX valid candidates with
        distinct canonical forms

Canonical display marking (DESIGN.md, label_marking.c's contract): upper
case; the classification phrase; the restrictive values (caveats) in the
order given; "REL TO " and the permissive values in the order given joined
by ", "; the informative values; a value given twice is kept once.  A
candidate is valid when every word is a value of the policy and no value
is excluded at the classification.  Registry and policy are read by
decide_ref.py's classes (Python, no project code).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from decide_ref import Policy, Registry, day  # noqa: E402


def groups(regdir, date, nations):
    reg = Registry(regdir)
    d = day(date)
    codes = sorted(reg.kind)
    for gid in sorted(reg.groups):
        g = reg.groups[gid]
        members = [c for c in codes if reg.kind[c] == 'nation' and reg.member(c, gid, d)]
        kind = 'c' if g['kind'] == 'community' else 'f'
        active = 1 if reg.is_open(gid, d) else 0
        print('G\t%s\t%s\t%d\t%s' % (gid, kind, active, ' '.join(members)))
    for n in sorted(set(nations)):
        print('A\t%s\t%d' % (n, 1 if reg.security(n, d) else 0))


def canonical(pol, informative, text):
    """The canonical marking of text, or None when it is not valid."""
    head, _, rel = text.upper().partition(' REL TO ')
    for name, phrase, _ in sorted(pol.classes, key=lambda c: -len(c[1])):
        if head == phrase or head.startswith(phrase + ' '):
            cls, words = name, head[len(phrase):].split()
            break
    else:
        return None
    cav, info = [], []
    for w in words:
        if w in pol.caveats and cls not in pol.caveats[w]:
            cav += [w] if w not in cav else []
        elif w in informative:
            info += [w] if w not in info else []
        else:
            return None
    vals = []
    for v in (x.strip() for x in rel.split(',')) if rel else []:
        if v not in pol.permissive or cls in pol.permissive[v]:
            return None
        vals += [v] if v not in vals else []
    phrase = [c[1] for c in pol.classes if c[0] == cls][0]
    return ' '.join([phrase] + cav + (['REL TO ' + ', '.join(vals)] if vals else []) + info)


def labels(regdir, policy, most):
    import xml.etree.ElementTree as ET
    reg = Registry(regdir)
    pol = Policy(policy, reg)
    informative = set()
    root = ET.parse(policy).getroot()
    for e in root.iter():
        e.tag = e.tag.split('}')[-1]
    for tag in root.iter('securityCategoryTag'):
        if tag.get('tagType') == 'informative':
            informative |= {v.get('name').upper() for v in tag.iter('tagCategory')}
    seen = set()
    for line in sys.stdin:
        text = line.rstrip('\n')
        c = canonical(pol, informative, text)
        if c and c not in seen and len(seen) < most:
            seen.add(c)
            print('L\t%s\t%s' % (text, c))


if __name__ == '__main__':
    if sys.argv[1] == 'groups':
        groups(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif sys.argv[1] == 'labels':
        labels(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit('usage: leak_facts.py groups|labels ...')
