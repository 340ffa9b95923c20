#!/usr/bin/env bash
# principal.sh -- `partnernet principal`: adding with a password from stdin,
# listing, updating, removing; input errors exit 2; the file keeps only a
# salted hash and is readable by its owner alone.
. "$(dirname "$0")/../lib.sh"

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
f=$dir/principals.json
P=(--principals "$f")

expect_out "list of a missing file is empty" "" "$PN" principal list "${P[@]}"

expect_out "add with a password from stdin" "added principal alice" bash -c \
    "printf 'Hunter2-plain\n' | '$PN' principal add alice --nation SWE --clearance NS \
     --coi SAMPLE-NORTH --caveat ATOMAL --password-stdin --principals '$f'"
expect_out "add with a certificate CN, lower-case codes" "added principal bob.usa" \
    "$PN" principal add bob.usa --nation usa --clearance nc --coi sample-north,sample-east \
    --cert-cn bob.usa.mil "${P[@]}"
expect_out "list: one line each, no secrets" \
    "alice SWE NS cois=SAMPLE-NORTH caveats=ATOMAL auth=password
bob.usa USA NC cois=SAMPLE-NORTH,SAMPLE-EAST caveats=- auth=cert" \
    "$PN" principal list "${P[@]}"

ok "password is stored hashed, not in plain" bash -c \
    "! grep -q 'Hunter2-plain' '$f' && grep -q '\"password\": \"\$scrypt\$N=16384,r=8,p=1\\$' '$f'"
expect_out "file mode is 600" "600" stat -c %a "$f"
ok "no temporary file left beside it" bash -c "[ \$(ls -A '$dir' | wc -l) -eq 1 ]"

# update: nation/clearance/communities replaced, password kept
expect_out "update an existing principal" "updated principal alice" \
    "$PN" principal add alice --nation SWE --clearance NC "${P[@]}"
expect_out "update shows in list, password kept" "alice SWE NC cois=- caveats=- auth=password" \
    bash -c "set -o pipefail; '$PN' principal list --principals '$f' | grep '^alice '"
expect_out "file mode still 600 after update" "600" stat -c %a "$f"
ok "a new password replaces the hash" bash -c \
    "old=\$(grep password '$f'); printf 'other\n' | '$PN' principal add alice --nation SWE --clearance NC \
     --password-stdin --principals '$f' >/dev/null && [ \"\$(grep password '$f')\" != \"\$old\" ]"

# input errors exit 2 and leave the file alone
cp "$f" "$dir/before"
expect_err "unknown nation exits 2" 2 "unknown nation or framework 'XYZ'" \
    "$PN" principal add carol --nation XYZ --clearance NS "${P[@]}"
expect_err "unknown clearance exits 2" 2 "unknown clearance 'TOP'" \
    "$PN" principal add carol --nation SWE --clearance TOP "${P[@]}"
expect_err "unknown community exits 2" 2 "unknown community of interest 'NOPE'" \
    "$PN" principal add carol --nation SWE --clearance NS --coi NOPE "${P[@]}"
expect_err "unknown caveat exits 2" 2 "unknown caveat 'NOFORN'" \
    "$PN" principal add carol --nation SWE --clearance NS --caveat NOFORN "${P[@]}"
expect_err "empty password refused" 2 "empty password refused" bash -c \
    "printf '\n' | '$PN' principal add carol --nation SWE --clearance NS --password-stdin --principals '$f'"
expect_err "no password on stdin refused" 2 "no password on standard input" bash -c \
    "'$PN' principal add carol --nation SWE --clearance NS --password-stdin --principals '$f' </dev/null"
expect_err "bad name exits 2" 2 "invalid name 'carol smith'" \
    "$PN" principal add 'carol smith' --nation SWE --clearance NS "${P[@]}"
expect_err "missing --clearance exits 2" 2 "missing --clearance" \
    "$PN" principal add carol --nation SWE "${P[@]}"
expect_err "no password and no certificate refused" 2 "carol could never log in" \
    "$PN" principal add carol --nation SWE --clearance NS "${P[@]}"
expect_err "--no-credential only with add" 2 "option --no-credential applies only to 'add'" \
    "$PN" principal list --no-credential "${P[@]}"
expect_err "certificate CN taken" 2 "certificate CN 'bob.usa.mil' already belongs to principal 'bob.usa'" \
    "$PN" principal add carol --nation SWE --clearance NS --cert-cn bob.usa.mil "${P[@]}"
expect_err "missing subcommand exits 2" 2 "missing subcommand" "$PN" principal
expect_err "unknown subcommand exits 2" 2 "unknown subcommand 'frob'" "$PN" principal frob
expect_err "add-only option on list exits 2" 2 "option --nation applies only to 'add'" \
    "$PN" principal list --nation SWE "${P[@]}"
ok "file unchanged by refused commands" cmp -s "$f" "$dir/before"

# --no-credential: a principal that logs in by none of them (e.g. one that only
# stands for a peer, or one that uses bearer tokens alone)
expect_out "--no-credential adds one without credentials" "added principal dave" \
    "$PN" principal add dave --nation SWE --clearance NS --no-credential "${P[@]}"
expect_err "updating it without the flag is refused too" 2 "dave could never log in" \
    "$PN" principal add dave --nation SWE --clearance NC "${P[@]}"
expect_out "updating it with the flag" "updated principal dave" \
    "$PN" principal add dave --nation SWE --clearance NC --no-credential "${P[@]}"
expect_out "remove dave" "removed principal dave" "$PN" principal remove dave "${P[@]}"

# remove
expect_out "remove" "removed principal bob.usa" "$PN" principal remove bob.usa "${P[@]}"
expect_out "list after remove" "alice SWE NC cois=- caveats=- auth=password" \
    "$PN" principal list "${P[@]}"
expect_err "remove unknown exits 2" 2 "no principal named 'bob.usa'" \
    "$PN" principal remove bob.usa "${P[@]}"

# a damaged file is reported with file and line, never overwritten
printf '{"principals": [\n  {"name": "x",}\n]}\n' >"$dir/bad.json"
expect_err "bad JSON names file and line" 2 "$dir/bad.json:2:" \
    "$PN" principal list --principals "$dir/bad.json"
expect_err "add refuses to overwrite a bad file" 2 "$dir/bad.json:2:" \
    "$PN" principal add carol --nation SWE --clearance NS --principals "$dir/bad.json"

ok "help principal prints its usage" bash -c "set -o pipefail; '$PN' help principal | grep -- '--password-stdin'"

done_testing
