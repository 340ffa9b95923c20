#!/usr/bin/env bash
# binding.sh -- `partnernet label bind` and `label verify-binding`: a label
# bound to a file by a signed binding data object (ADatP-4778 sidecar,
# JSON form); good files verify (exit 0 with the label), an altered file,
# label, signature or key exits 2 with the reason.
. "$(dirname "$0")/../lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
L="NATO CONFIDENTIAL REL TO NATO, SWE"
"$PN" node init --data "$tmp/d" --name hq | tail -1 >"$tmp/trust.keys"
printf 'report body\n' >"$tmp/r.txt"
head -c 5000 /dev/urandom >"$tmp/img.bin"

expect_err "bind without a node key: exit 2" 2 "partnernet node init" \
    "$PN" label bind "$tmp/r.txt" --label "$L" --data "$tmp/none"
expect_err "bind with an invalid label: exit 2" 2 "unknown nation or framework 'XYZ'" \
    "$PN" label bind "$tmp/r.txt" --label "NATO SECRET REL TO XYZ" --data "$tmp/d" --name hq
ok "no binding written for a refused label" test ! -e "$tmp/r.txt.binding"
expect_has "bind writes FILE.binding" "bound: $tmp/r.txt.binding" \
    "$PN" label bind "$tmp/r.txt" --label "$L" --data "$tmp/d" --name hq
ok "the binding is JSON with the label, the data's SHA-256 and a JWS" python3 -c "
import base64, hashlib, json, sys
b = json.load(open('$tmp/r.txt.binding'))
m = b['metadataBindingContainer']['metadataBinding'][0]
assert m['metadata'][0]['displayMarking'] == '$L'
assert 'originatorConfidentialityLabel' in m['metadata'][0]['originatorConfidentialityLabel']
ref = m['dataReference'][0]
assert ref['uri'] == 'r.txt' and ref['digestMethod'] == 'SHA-256'
assert base64.b64decode(ref['digestValue']) == hashlib.sha256(open('$tmp/r.txt', 'rb').read()).digest()
h = json.loads(base64.urlsafe_b64decode(b['bindingSignature'].split('.')[0] + '=='))
assert h['alg'] == 'EdDSA' and len(h['kid']) == 16, h
assert b['originator'] == 'hq'
"
expect_out "verify-binding FILE: exit 0 with the label" "verified: $tmp/r.txt is bound to $L" \
    "$PN" label verify-binding "$tmp/r.txt" --trust "$tmp/trust.keys"
expect_out "verify-binding FILE.binding: the same" "verified: $tmp/r.txt is bound to $L" \
    "$PN" label verify-binding "$tmp/r.txt.binding" --trust "$tmp/trust.keys"
ok "a binary file binds and verifies" bash -c "'$PN' label bind '$tmp/img.bin' --label 'NATO UNCLASSIFIED' --data '$tmp/d' --name hq >/dev/null && '$PN' label verify-binding '$tmp/img.bin' --trust '$tmp/trust.keys' >/dev/null"
ok "the label may be STANAG 4774 XML" bash -c "'$PN' label convert --to xml --label '$L' | '$PN' label bind '$tmp/img.bin' --data '$tmp/d' --name hq >/dev/null && '$PN' label verify-binding '$tmp/img.bin' --trust '$tmp/trust.keys' | grep -q '$L'"

# tampering
cp "$tmp/r.txt" "$tmp/r2.txt"
cp "$tmp/r.txt.binding" "$tmp/r2.txt.binding"
printf 'report bodY\n' >"$tmp/r2.txt"
expect_err "one byte of the file changed: exit 2" 2 "the data does not match the binding" \
    "$PN" label verify-binding "$tmp/r2.txt" --trust "$tmp/trust.keys"
cp "$tmp/r.txt" "$tmp/r3.txt"
sed 's/CONFIDENTIAL/UNCLASSIFIED/g' "$tmp/r.txt.binding" >"$tmp/r3.txt.binding"
expect_err "the label rewritten in the object: exit 2" 2 "differ from what was signed" \
    "$PN" label verify-binding "$tmp/r3.txt" --trust "$tmp/trust.keys"
cp "$tmp/r.txt" "$tmp/r4.txt"
python3 - "$tmp/r.txt.binding" "$tmp/r4.txt.binding" <<'PY'
import base64, json, sys
b = json.load(open(sys.argv[1]))
h, p, s = b["bindingSignature"].split(".")
st = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
for doc in (st, b):
    doc["metadataBindingContainer"]["metadataBinding"][0]["metadata"][0]["displayMarking"] = "NATO UNCLASSIFIED"
p = base64.urlsafe_b64encode(json.dumps(st, separators=(",", ":"), sort_keys=True).encode()).decode().rstrip("=")
b["bindingSignature"] = ".".join((h, p, s))
json.dump(b, open(sys.argv[2], "w"))
PY
expect_err "the label rewritten in the object and in the JWS payload: exit 2" 2 "signature does not match" \
    "$PN" label verify-binding "$tmp/r4.txt" --trust "$tmp/trust.keys"
"$PN" node init --data "$tmp/other" --name hq | tail -1 >"$tmp/other.keys"
expect_err "another key for hq: exit 2" 2 "unknown key" \
    "$PN" label verify-binding "$tmp/r.txt" --trust "$tmp/other.keys"
sed 's/$/ revoked/' "$tmp/trust.keys" >"$tmp/revoked.keys"
expect_err "the key revoked: exit 2" 2 "is revoked" \
    "$PN" label verify-binding "$tmp/r.txt" --trust "$tmp/revoked.keys"
sed 's/^hq /swe /' "$tmp/trust.keys" >"$tmp/swe.keys"
expect_err "the key trusted for another originator: exit 2" 2 "may not sign for origin hq" \
    "$PN" label verify-binding "$tmp/r.txt" --trust "$tmp/swe.keys"
printf 'x' >"$tmp/lone.txt"
expect_err "no binding beside the file: exit 2" 2 "cannot read the binding" \
    "$PN" label verify-binding "$tmp/lone.txt" --trust "$tmp/trust.keys"
printf '{"metadataBindingContainer": {}}' >"$tmp/lone.txt.binding"
expect_err "a binding without a signature: exit 2" 2 "no bindingSignature" \
    "$PN" label verify-binding "$tmp/lone.txt" --trust "$tmp/trust.keys"
expect_err "verify-binding without FILE: exit 2" 2 "verify-binding needs a FILE" \
    "$PN" label verify-binding --trust "$tmp/trust.keys"
ok "no sanitizer report" no_sanitizer_report
done_testing
