#!/usr/bin/env python3
"""decide_ref.py -- an independent reference for decide() (tests/it/decide_ref.sh).

    PN=partnernet decide_ref.py REGISTRY_DIR POLICY_XML [SEED [RANDOM_CASES]]

It reads the registry JSON files and the XML-SPIF policy itself (json,
xml.etree, datetime: none of the project's C code, not even its date
arithmetic), decides with the rules of src/policy/decide.h written out
plainly below, and compares with `partnernet decide --batch` on
  1. a hand-written table, one or more cases per rule, whose expected
     answers were read off the data files by a person (each also checked
     against this reference, so the reference itself is tested);
  2. every day any registry date names, the day before and the day after,
     with principals and labels drawn around the nation and group that date
     is about;
  3. random principals, labels and days from 1990 to 2030.
Prints "PASS what" / "FAIL what -- detail" lines (tap_run in
tests/it/lib/server.sh turns them into TAP).

Rules (decide.h): 1. clearance >= classification; 2. every caveat held;
3. a member of NATO on the day receives; otherwise the label must name the
nation, or a framework/community the nation belongs to that day, or a
community assigned to the principal that is open that day; if not, the
answer is not_yet_member / no_longer_member when a named group is one the
nation was ever in (first day of membership after / before the day), else
not_releasable; 4. above the lowest classification a non-member of NATO
needs a security agreement with NATO in force that day.
"""
import datetime
import glob
import json
import os
import random
import subprocess
import sys
import xml.etree.ElementTree as ET

EARLY = datetime.date(1900, 1, 1).toordinal()
NEVER = datetime.date(9999, 12, 31).toordinal()


def day(s):
    return datetime.date.fromisoformat(s).toordinal()


def iso(d):
    return datetime.date.fromordinal(d).isoformat()


class Registry:
    """The registry as plain dictionaries, read straight from the JSON."""

    def __init__(self, path):
        self.kind = {}     # code -> "nation" | "organisation"
        self.groups = {}   # id -> {kind, open, close, members: [(code, from, to, susp)], union}
        self.agreements = []  # (type, parties, from, to)
        self.dates = []    # (day, nation or None, group or None): every date mentioned
        # path is one directory or several separated by ':' (as the node's
        # --registry), each read in name order.
        docs = [json.load(open(f)) for d in path.split(':')
                for f in sorted(glob.glob(os.path.join(d, '*.json')))]
        for d in docs:
            for n in d.get('nations', []):
                self.kind[n['code'].upper()] = n.get('kind', 'nation')
        for d in docs:
            if 'members' in d or 'union_of' in d:
                self.add_group(d, 'framework')
            for c in d.get('communities', []):
                self.add_group(c, 'community')
            for a in d.get('agreements', []):
                f = day(a['from'])
                t = day(a['to']) if 'to' in a else NEVER
                parties = [p.upper() for p in a['parties']]
                self.agreements.append((a['type'], parties, f, t))
                nat = [p for p in parties if p != 'NATO']
                for x in (f, t):
                    if x != NEVER:
                        self.dates.append((x, nat[0] if nat else None, None))
        self.change_days = sorted({EARLY} | {x for x, _, _ in self.dates})

    def add_group(self, d, kind):
        gid = d['id'].upper()
        o = d.get('established', d.get('from'))
        c = d.get('closed', d.get('to'))
        g = {'kind': kind, 'open': day(o) if o else EARLY, 'close': day(c) if c else NEVER,
             'members': [], 'union': [u.upper() for u in d.get('union_of', [])]}
        for x in (g['open'], g['close']):
            if x not in (EARLY, NEVER):
                self.dates.append((x, None, gid))
        for m in d.get('members', []):
            spell = (m['code'].upper(), day(m['from']), day(m['to']) if 'to' in m else NEVER,
                     day(m['suspended']) if 'suspended' in m else NEVER)
            g['members'].append(spell)
            for x in spell[1:]:
                if x != NEVER:
                    self.dates.append((x, spell[0], gid))
        self.groups[gid] = g

    def is_open(self, gid, d):
        g = self.groups[gid]
        return g['open'] <= d < g['close']

    def member(self, nation, gid, d):
        if not self.is_open(gid, d):
            return False
        if self.kind.get(nation) == 'organisation' and nation == gid:
            return True
        g = self.groups[gid]
        for code, f, t, s in g['members']:
            if code == nation and f <= d < t and d < s:
                return True
        return any(self.member(nation, u, d) for u in g['union'])

    def first_day(self, nation, gid):
        """First day nation is a member of gid, or None (never).  Membership
        only changes on a date the registry names, so those are enough."""
        for d in self.change_days:
            if self.member(nation, gid, d):
                return d
        return None

    def security(self, nation, d):
        if self.member(nation, 'NATO', d):
            return True
        return any(t == 'security' and 'NATO' in p and nation in p and f <= d < to
                   for t, p, f, to in self.agreements)


class Policy:
    """Classifications, permissive and restrictive values of the SPIF."""

    def __init__(self, path, reg):
        root = ET.parse(path).getroot()
        for e in root.iter():  # drop the XML-SPIF namespace from the tags
            e.tag = e.tag.split('}')[-1]
        ns = ''
        self.classes = []  # (name, phrase, hierarchy) lowest first
        for c in root.iter(ns + 'securityClassification'):
            self.classes.append((c.get('name'), c.find('markingData').get('phrase'), int(c.get('hierarchy'))))
        self.classes.sort(key=lambda c: c[2])
        self.permissive = {}   # value -> excluded classification names
        self.caveats = {}
        for tag in root.iter('securityCategoryTag'):
            kind = tag.get('tagType')
            for v in tag.iter('tagCategory'):
                excl = {e.text for e in v.iter('excludedClass')}
                if kind == 'permissive':
                    self.permissive[v.get('name').upper()] = excl
                elif kind == 'restrictive':
                    self.caveats[v.get('name').upper()] = excl
        # The node adds the registry's communities as permissive values.
        for gid, g in reg.groups.items():
            if g['kind'] == 'community':
                self.permissive.setdefault(gid, set())

    def rank(self, cls):
        return [c[0] for c in self.classes].index(cls)


CLEARANCE = {'NU': 'UNCLASSIFIED', 'NR': 'RESTRICTED', 'NC': 'CONFIDENTIAL', 'NS': 'SECRET',
             'CTS': 'TOP SECRET'}


def reference(reg, pol, pr, lab, d):
    """The set of acceptable answers (one, unless several named groups give
    different not-yet/no-longer reasons: decide() reports the first)."""
    if pol.rank(CLEARANCE[pr['clearance']]) < pol.rank(lab['cls']):
        return {'clearance'}
    if set(lab['caveats']) - set(pr['caveats']):
        return {'caveat'}
    n = pr['nation']
    if reg.member(n, 'NATO', d):
        return {'allow'}
    groups = [v for v in lab['values'] if v in reg.groups]
    nations = [v for v in lab['values'] if v not in reg.groups]
    rel = (n in nations or any(reg.member(n, g, d) for g in groups) or
           any(g in pr['cois'] and reg.is_open(g, d) for g in groups))
    if not rel:
        why = set()
        for g in groups:
            f = reg.first_day(n, g)
            if f is not None:
                why.add('not_yet_member' if f > d else 'no_longer_member')
        return why or {'not_releasable'}
    if pol.rank(lab['cls']) > 0 and not reg.security(n, d):
        return {'no_agreement'}
    return {'allow'}


def principal_text(pr):
    s = 'nation=%s,clearance=%s' % (pr['nation'], pr['clearance'])
    if pr['cois']:
        s += ',coi=' + '+'.join(pr['cois'])
    if pr['caveats']:
        s += ',caveat=' + '+'.join(pr['caveats'])
    return s


def label_text(pol, lab):
    phrase = [c[1] for c in pol.classes if c[0] == lab['cls']][0]
    s = ' '.join([phrase] + lab['caveats'])
    if lab['values']:
        s += ' REL TO ' + ', '.join(lab['values'])
    return s


def parse_principal(text):
    pr = {'nation': None, 'clearance': None, 'cois': [], 'caveats': []}
    for kv in text.split(','):
        k, v = kv.split('=', 1)
        if k == 'coi':
            pr['cois'] = v.split('+')
        elif k == 'caveat':
            pr['caveats'] = v.split('+')
        else:
            pr[k] = v
    return pr


def run_batch(cases):
    """`partnernet decide --batch` on (principal text, label text, date):
    the reason code of each answer ("allow", "clearance", ...)."""
    text = ''.join('%s\t%s\t%s\n' % c for c in cases)
    p = subprocess.run([os.environ.get('PN', './partnernet'), 'decide', '--batch'], input=text,
                       capture_output=True, text=True)
    out = p.stdout.splitlines()
    if p.returncode != 0 or len(out) != len(cases):
        raise SystemExit('FAIL partnernet decide --batch ran -- exit %d, %d lines for %d cases: %s'
                         % (p.returncode, len(out), len(cases), (p.stderr + '\n'.join(
                             l for l in out if l.startswith('error')))[:800]))
    return [l.split(':', 1)[0].split(' ', 1)[1] if l.startswith('deny ') else l for l in out]


# Hand-written: (principal, label, date, answer), answers read off the
# registry files (dates quoted in the comments).
HAND = [
    # 1. clearance
    ('nation=SWE,clearance=NC', 'NATO SECRET REL TO NATO', '2025-01-01', 'clearance'),
    ('nation=USA,clearance=NS', 'COSMIC TOP SECRET', '2025-01-01', 'clearance'),
    ('nation=USA,clearance=CTS', 'COSMIC TOP SECRET', '2025-01-01', 'allow'),
    # 2. caveats: every one must be held
    ('nation=USA,clearance=CTS', 'NATO SECRET ATOMAL REL TO NATO', '2025-01-01', 'caveat'),
    ('nation=USA,clearance=CTS,caveat=ATOMAL', 'NATO SECRET ATOMAL CRYPTO REL TO NATO', '2025-01-01', 'caveat'),
    ('nation=USA,clearance=CTS,caveat=ATOMAL+CRYPTO', 'NATO SECRET ATOMAL CRYPTO REL TO NATO', '2025-01-01', 'allow'),
    # 3. NATO members receive whatever the label names (nato.json: SWE from 2024-03-07)
    ('nation=SWE,clearance=NS', 'NATO SECRET REL TO NATO', '2024-03-06', 'not_yet_member'),
    ('nation=SWE,clearance=NS', 'NATO SECRET REL TO NATO', '2024-03-07', 'allow'),
    ('nation=USA,clearance=NS', 'NATO SECRET REL TO AUS', '2025-01-01', 'allow'),
    ('nation=FIN,clearance=NS', 'NATO SECRET REL TO NATO', '2023-04-03', 'not_yet_member'),
    ('nation=FIN,clearance=NS', 'NATO SECRET REL TO NATO', '2023-04-04', 'allow'),
    # organisations: NATO is a member of the framework it is
    ('nation=NATO,clearance=NS', 'NATO SECRET REL TO NATO', '2025-01-01', 'allow'),
    # a nation named in the label
    ('nation=AUS,clearance=NU', 'NATO UNCLASSIFIED REL TO SWE', '2025-01-01', 'not_releasable'),
    ('nation=AUS,clearance=NU', 'NATO UNCLASSIFIED REL TO SWE, AUS', '2025-01-01', 'allow'),
    # a framework the nation is in (pfp.json: AUT from 1995-02-10)
    ('nation=AUT,clearance=NU', 'NATO UNCLASSIFIED REL TO PFP', '1995-02-09', 'not_yet_member'),
    ('nation=AUT,clearance=NU', 'NATO UNCLASSIFIED REL TO PFP', '1995-02-10', 'allow'),
    ('nation=AUS,clearance=NU', 'NATO UNCLASSIFIED REL TO PFP', '2025-01-01', 'not_releasable'),
    # suspensions (pfp.json: RUS suspended 2014-04-01, BLR 2021-11-19;
    # pag.json: AFG suspended 2021-08-15)
    ('nation=RUS,clearance=NU', 'NATO UNCLASSIFIED REL TO PFP', '2014-03-31', 'allow'),
    ('nation=RUS,clearance=NU', 'NATO UNCLASSIFIED REL TO PFP', '2014-04-01', 'no_longer_member'),
    ('nation=BLR,clearance=NU', 'NATO UNCLASSIFIED REL TO PFP', '2021-11-18', 'allow'),
    ('nation=BLR,clearance=NU', 'NATO UNCLASSIFIED REL TO PFP', '2021-11-19', 'no_longer_member'),
    # pag.json: COL a partner across the globe from 2018-05-31
    ('nation=COL,clearance=NU', 'NATO UNCLASSIFIED REL TO PAG', '2018-05-30', 'not_yet_member'),
    ('nation=COL,clearance=NU', 'NATO UNCLASSIFIED REL TO PAG', '2018-05-31', 'allow'),
    # osce.json: the 57 from 2012-11-21, Mongolia and Andorra included
    ('nation=MNG,clearance=NU', 'NATO UNCLASSIFIED REL TO OSCE', '2012-11-20', 'not_yet_member'),
    ('nation=MNG,clearance=NU', 'NATO UNCLASSIFIED REL TO OSCE', '2012-11-21', 'allow'),
    ('nation=AND,clearance=NU', 'NATO UNCLASSIFIED REL TO OSCE', '2025-01-01', 'allow'),
    ('nation=AFG,clearance=NU', 'NATO UNCLASSIFIED REL TO PAG', '2021-08-14', 'allow'),
    ('nation=AFG,clearance=NU', 'NATO UNCLASSIFIED REL TO PAG', '2021-08-15', 'no_longer_member'),
    # unions (eapc.json: EAPC = NATO + PFP, established 1997-05-30)
    ('nation=AUT,clearance=NU', 'NATO UNCLASSIFIED REL TO EAPC', '2025-01-01', 'allow'),
    ('nation=AUT,clearance=NU', 'NATO UNCLASSIFIED REL TO EAPC', '1997-05-29', 'not_yet_member'),
    ('nation=AUT,clearance=NU', 'NATO UNCLASSIFIED REL TO EAPC', '1997-05-30', 'allow'),
    ('nation=RUS,clearance=NU', 'NATO UNCLASSIFIED REL TO EAPC', '2014-04-01', 'no_longer_member'),
    ('nation=AUS,clearance=NU', 'NATO UNCLASSIFIED REL TO EAPC', '2025-01-01', 'not_releasable'),
    # communities by the nation's participation (communities.json:
    # SAMPLE-NORTH 2026-01-01 to 2027-01-01, UKR from 2026-01-01)
    ('nation=UKR,clearance=NU', 'NATO UNCLASSIFIED REL TO SAMPLE-NORTH', '2025-12-31', 'not_yet_member'),
    ('nation=UKR,clearance=NU', 'NATO UNCLASSIFIED REL TO SAMPLE-NORTH', '2026-01-01', 'allow'),
    ('nation=UKR,clearance=NU', 'NATO UNCLASSIFIED REL TO SAMPLE-NORTH', '2026-12-31', 'allow'),
    ('nation=UKR,clearance=NU', 'NATO UNCLASSIFIED REL TO SAMPLE-NORTH', '2027-01-01', 'no_longer_member'),
    # ... and by assignment to the principal, while the community is open
    ('nation=AUT,clearance=NU,coi=SAMPLE-NORTH', 'NATO UNCLASSIFIED REL TO SAMPLE-NORTH', '2025-12-31', 'not_releasable'),
    ('nation=AUT,clearance=NU,coi=SAMPLE-NORTH', 'NATO UNCLASSIFIED REL TO SAMPLE-NORTH', '2026-01-01', 'allow'),
    ('nation=AUT,clearance=NU,coi=SAMPLE-NORTH', 'NATO UNCLASSIFIED REL TO SAMPLE-NORTH', '2027-01-01', 'not_releasable'),
    ('nation=AUT,clearance=NU,coi=SAMPLE-EAST', 'NATO UNCLASSIFIED REL TO SAMPLE-NORTH', '2026-06-01', 'not_releasable'),
    # 4. security agreements (agreements.json: NATO-AUS from 2005-04-01;
    # pag.json: AUS in PAG from 2005-01-01, but PAG established 2011-04-15)
    ('nation=AUS,clearance=NS', 'NATO SECRET REL TO NATO, AUS', '2005-03-31', 'no_agreement'),
    ('nation=AUS,clearance=NS', 'NATO SECRET REL TO NATO, AUS', '2005-04-01', 'allow'),
    ('nation=AUS,clearance=NU', 'NATO UNCLASSIFIED REL TO AUS', '2005-03-31', 'allow'),
    ('nation=AUS,clearance=NU', 'NATO UNCLASSIFIED REL TO PAG', '2005-01-01', 'not_yet_member'),
    ('nation=AUS,clearance=NU', 'NATO UNCLASSIFIED REL TO PAG', '2011-04-14', 'not_yet_member'),
    ('nation=AUS,clearance=NU', 'NATO UNCLASSIFIED REL TO PAG', '2011-04-15', 'allow'),
    # (agreements.json: NATO-UKR from 2016-09-28)
    ('nation=UKR,clearance=NC', 'NATO CONFIDENTIAL REL TO NATO, UKR', '2016-09-27', 'no_agreement'),
    ('nation=UKR,clearance=NC', 'NATO CONFIDENTIAL REL TO NATO, UKR', '2016-09-28', 'allow'),
    # (agreements.json: NATO-EU from 2003-03-14; none for GEO or PAK)
    ('nation=EU,clearance=NS', 'NATO SECRET REL TO EU', '2003-03-13', 'no_agreement'),
    ('nation=EU,clearance=NS', 'NATO SECRET REL TO EU', '2003-03-14', 'allow'),
    ('nation=GEO,clearance=NC', 'NATO CONFIDENTIAL REL TO GEO', '2025-01-01', 'no_agreement'),
    ('nation=PAK,clearance=NR', 'NATO RESTRICTED REL TO PAK', '2025-01-01', 'no_agreement'),
]


def parse_label(pol, text):
    lab = {'cls': None, 'caveats': [], 'values': []}
    head, _, rel = text.partition(' REL TO ')
    for name, phrase, _ in sorted(pol.classes, key=lambda c: -len(c[1])):
        if head.startswith(phrase):
            lab['cls'] = name
            lab['caveats'] = head[len(phrase):].split()
            break
    lab['values'] = [v.strip() for v in rel.split(',')] if rel else []
    return lab


def random_case(reg, pol, rnd, d, nation=None, group=None):
    nations = sorted(reg.kind)
    communities = sorted(g for g, v in reg.groups.items() if v['kind'] == 'community')
    cls_names = [c[0] for c in pol.classes]
    pr = {'nation': nation or rnd.choice(nations),
          'clearance': rnd.choice(sorted(CLEARANCE)),
          'cois': rnd.sample(communities, rnd.choice([0, 0, 1, len(communities)])),
          'caveats': rnd.sample(sorted(pol.caveats), rnd.choice([0, 0, 1, 2]))}
    cls = rnd.choice(cls_names[:3] * 2 + cls_names)
    caveats = [c for c in sorted(pol.caveats) if cls not in pol.caveats[c] and rnd.random() < 0.2]
    allowed = sorted(v for v, excl in pol.permissive.items() if cls not in excl)
    values = rnd.sample(allowed, rnd.choice([0, 1, 1, 2, 3]))
    if group and group in allowed and rnd.random() < 0.7:
        values = [group] + [v for v in values if v != group]
    if rnd.random() < 0.3 and pr['nation'] in allowed and pr['nation'] not in values:
        values.append(pr['nation'])
    lab = {'cls': cls, 'caveats': caveats, 'values': values}
    return pr, lab, d


def main():
    regdir, policy = sys.argv[1], sys.argv[2]
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else random.randrange(1 << 30)
    nrandom = int(sys.argv[4]) if len(sys.argv) > 4 else 4000
    reg = Registry(regdir)
    pol = Policy(policy, reg)
    print('# seed %d (decide_ref.py %s %s %d %d)' % (seed, regdir, policy, seed, nrandom))
    failed = 0

    # 1. hand-written table
    got = run_batch([(p, l, a) for p, l, a, _ in HAND])
    for (p, l, a, want), g in zip(HAND, got):
        ref = reference(reg, pol, parse_principal(p), parse_label(pol, l), day(a))
        ok = g == want and ref == {want}
        failed += not ok
        print('%s %s | %s | %s: %s%s' % ('PASS' if ok else 'FAIL', p, l, a, want,
                                          '' if ok else ' -- decide: %s, reference: %s' % (g, sorted(ref))))

    # 2. boundary days, 3. random days
    rnd = random.Random(seed)
    cases = []
    for d, nation, group in sorted(set(reg.dates), key=lambda x: (x[0], x[1] or "", x[2] or "")):
        for x in (d - 1, d, d + 1):
            for _ in range(4):
                cases.append(random_case(reg, pol, rnd, x, nation if rnd.random() < 0.8 else None, group))
    nboundary = len(cases)
    lo, hi = day('1990-01-01'), day('2030-12-31')
    for _ in range(nrandom):
        cases.append(random_case(reg, pol, rnd, rnd.randint(lo, hi)))
    got = run_batch([(principal_text(p), label_text(pol, l), iso(d)) for p, l, d in cases])
    bad = []
    for (p, l, d), g in zip(cases, got):
        ref = reference(reg, pol, p, l, d)
        if g not in ref:
            bad.append('%s | %s | %s: decide %s, reference %s' % (principal_text(p), label_text(pol, l),
                                                                  iso(d), g, '/'.join(sorted(ref))))
    answers = sorted({g for g in got})
    nb = sum(1 for (p, l, d), g in zip(cases[:nboundary], got[:nboundary]) if g not in reference(reg, pol, p, l, d))
    nr = len(bad) - nb
    print('%s %d cases on the %d registry dates, the day before and the day after, agree%s'
          % ('PASS' if nb == 0 else 'FAIL', nboundary, len({x for x, _, _ in reg.dates}),
             '' if nb == 0 else ' -- %d differ: %s' % (nb, '; '.join(bad[:10]))))
    print('%s %d random cases (1990-2030) agree%s'
          % ('PASS' if nr == 0 else 'FAIL', nrandom,
             '' if nr == 0 else ' -- %d differ: %s' % (nr, '; '.join(bad[nb:nb + 10]))))
    # The drawn cases must reach every answer, or a rule went untested.
    want = {'allow', 'clearance', 'caveat', 'not_releasable', 'not_yet_member', 'no_longer_member',
            'no_agreement'}
    ok = set(answers) == want
    print('%s the drawn cases reach every answer%s' % ('PASS' if ok else 'FAIL',
                                                        '' if ok else ' -- got %s' % answers))
    failed += (nb > 0) + (nr > 0) + (not ok)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
