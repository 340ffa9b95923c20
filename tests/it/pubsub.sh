#!/usr/bin/env bash
# pubsub.sh -- `partnernet pub` and `partnernet sub` against a real node on
# 127.0.0.1: a round trip (marking, topic, id, origin, ISO 8601 time, text
# payload escaped, a binary one in base64, --json, --line-mode), the node's
# label filtering seen by sub, a refused publish (exit 1, reason in words),
# a refused login and subscription, TLS with a client certificate, and the
# connection taken from the config file's [client] section.
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh
. tests/it/lib/certs.sh

it_need openssl python3 timeout || exit

it_tmp
T=$IT_TMP
D=$T/node
mkdir -p "$D"
P=$D/principals.json
L_NS="NATO SECRET REL TO NATO, SWE"
L_NU="NATO UNCLASSIFIED REL TO NATO, UKR"
principal() { # NAME NATION CLEARANCE [ARG...]: password pw-NAME
    local n=$1 nat=$2 cl=$3
    shift 3
    printf 'pw-%s\n' "$n" >"$T/$n.pw"
    "$PN" principal add "$n" --nation "$nat" --clearance "$cl" --password-stdin --principals "$P" \
        "$@" <"$T/$n.pw" >/dev/null
}
principal alice SWE NS --cert-cn alice.swe
principal bob UKR NC

certs_init "$T/certs"
{
    mkca ca && mkca other &&
        mkcert server /CN=localhost $'subjectAltName = IP:127.0.0.1, DNS:localhost\nextendedKeyUsage = serverAuth' &&
        mkcert alice /C=SWE/CN=alice.swe 'extendedKeyUsage = clientAuth'
} >"$T/openssl.log" 2>&1
setup "openssl makes a CA, a server and a client certificate" test -s "$C/alice.pem"

srv_start "$D" --mqtt 127.0.0.1:@PORT@ --mqtts 127.0.0.1:@TLSPORT@ --http off \
    --cert "$C/server.pem" --key "$C/server.key" --ca "$C/ca.pem" --node hq --principals "$P"
_report $? "setup: node started"

AS_ALICE=(--address "127.0.0.1:$PORT" --user alice --password-file "$T/alice.pw")
AS_BOB=(--address "127.0.0.1:$PORT" --user bob --password-file "$T/bob.pw")
# sub_start OUT ARG...: `partnernet sub ARG...` in the background (bounded
# by timeout), stdout to OUT, stderr to OUT.err.  SUBP is its pid;
# granted OUT waits until it says the node granted the subscription.
sub_start() {
    local out=$1
    shift
    timeout 30 "$PN" sub "$@" >"$out" 2>"$out.err" &
    SUBP=$!
    IT_PIDS+=("$SUBP")
}
granted() { wait_until 10 grep -q 'subscribed to' "$1.err"; }

# ---- round trip: text and binary, as alice (SWE NS) and as bob (UKR NC) ---
sub_start "$T/a.out" --topic 'ops/#' --count 3 "${AS_ALICE[@]}"
ok "sub as alice: the node grants the subscription" granted "$T/a.out"
A=$SUBP
sub_start "$T/b.out" --topic 'ops/#' --count 1 "${AS_BOB[@]}"
ok "sub as bob: granted too" granted "$T/b.out"
B=$SUBP
expect_out "pub --message with a marking: published" "published 1 message on ops/x" \
    "$PN" pub --topic ops/x --label "$L_NS" --message $'hello W\u00f6rld\ttab\nline2 \e[31m' "${AS_ALICE[@]}"
printf '\000\377binary' >"$T/bin"
expect_out "pub --file with binary content" "published 1 message on ops/bin" \
    "$PN" pub --topic ops/bin --label "$L_NS" --file "$T/bin" "${AS_ALICE[@]}"
expect_out "pub --qos 2 of an unclassified message" "published 1 message on ops/nu" \
    "$PN" pub --topic ops/nu --label "$L_NU" --message "for everyone" --qos 2 "${AS_ALICE[@]}"
wait "$A"
ok "alice's sub ends after --count 3 with exit 0" test $? -eq 0
wait "$B"
ok "bob's sub ends after --count 1 with exit 0" test $? -eq 0
line() { sed -n "$1p" "$2"; }
ok "line 1: ISO time, marking, topic, id, origin, payload escaped" python3 -c "
import re
line = open('$T/a.out', encoding='utf-8').readline().rstrip('\\n')
want = r'20\\d\\d-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\t$L_NS\\tops/x\\thq:\\d+\\thq\\t'
assert re.match(want, line), line
assert line.endswith('\\thello W\\u00f6rld\\\\ttab\\\\nline2 \\\\x1b[31m'), line
"
ok "line 2: a binary payload as base64" grep -qP "\tops/bin\thq:\d+\thq\tbase64:AP9iaW5hcnk=$" <(line 2 "$T/a.out")
ok "line 3: the QoS 2 message" grep -qP "^\S+\t$L_NU\tops/nu\thq:\d+\thq\tfor everyone$" <(line 3 "$T/a.out")
expect_out "bob (UKR NC) got only the unclassified message: decide() guards sub" "ops/nu" \
    bash -c "cut -f3 '$T/b.out'"

# ---- --json and --line-mode ----------------------------------------------
sub_start "$T/j.out" --topic ops/lines --count 2 --json "${AS_ALICE[@]}"
ok "sub --json" granted "$T/j.out"
J=$SUBP
expect_out "pub --stdin --line-mode: one message per line" "published 2 messages on ops/lines" \
    bash -c "printf 'one\ntwo\n' | '$PN' pub --topic ops/lines --label '$L_NU' --stdin --line-mode \
        --address 127.0.0.1:$PORT --user alice --password-file '$T/alice.pw'"
wait "$J"
ok "sub --json ends with exit 0" test $? -eq 0
ok "--json: one object a line with id, topic, label, ISO time, origin, payload" python3 -c "
import json, re, sys
rows = [json.loads(l) for l in open('$T/j.out')]
assert [r['payload'] for r in rows] == ['one', 'two'], rows
for r in rows:
    assert r['topic'] == 'ops/lines' and r['label'] == '$L_NU' and r['origin'] == 'hq', r
    assert re.fullmatch(r'hq:\d+', r['id']) and re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ', r['time']), r
"

# ---- refusals ----------------------------------------------------------------
expect_err "bob (NC) publishing NATO SECRET is refused: exit 1, reason in words" 1 \
    "the node refused the message: not authorized (0x87)" \
    "$PN" pub --topic ops/x --label "$L_NS" --message nope "${AS_BOB[@]}"
expect_err "an invalid label is refused with the node's reason" 1 "the node refused the message:" \
    "$PN" pub --topic ops/x --label "NATO SEKRET" --message nope "${AS_ALICE[@]}"
expect_err "a wrong password: the login is refused (exit 2)" 2 \
    "the node refused the login as bob: bad user name or password (0x86)" \
    "$PN" pub --topic ops/x --label "$L_NU" --message nope --address "127.0.0.1:$PORT" --user bob \
    --password-file "$T/alice.pw"
expect_err "an invalid filter: the subscription is refused (exit 1)" 1 \
    "the node refused the subscription: topic filter invalid (0x8f)" \
    "$PN" sub --topic 'a/#/b' "${AS_ALICE[@]}"
expect_err "no node there: exit 2" 2 "cannot connect to the node at 127.0.0.1:1: Connection refused" \
    "$PN" pub --topic ops/x --message x --address 127.0.0.1:1
expect_err "pub without --topic" 2 "--topic TOPIC is needed" "$PN" pub --message x
expect_err "pub with two payload sources" 2 "give exactly one of --message TEXT, --file FILE and --stdin" \
    "$PN" pub --topic t --message x --file "$T/bin"
expect_err "--line-mode without --stdin" 2 "--line-mode goes with --stdin" \
    "$PN" pub --topic t --message x --line-mode
expect_err "sub --count 0" 2 "--count must be a whole number of at least 1" "$PN" sub --topic t --count 0
expect_err "--qos 3" 2 "--qos must be 0, 1 or 2" "$PN" pub --topic t --message x --qos 3

# ---- TLS with a client certificate -------------------------------------------
TLS=(--address "127.0.0.1:$TLSPORT" --ca "$C/ca.pem" --cert "$C/alice.pem" --key "$C/alice.key")
sub_start "$T/t.out" --topic tls/x --count 1 "${TLS[@]}"
ok "sub over TLS with alice's certificate" granted "$T/t.out"
S=$SUBP
expect_out "pub over TLS with alice's certificate" "published 1 message on tls/x" \
    "$PN" pub --topic tls/x --label "$L_NS" --message "over tls" "${TLS[@]}"
wait "$S"
ok "sub over TLS ends with exit 0" test $? -eq 0
ok "... and printed the message" grep -qP "\t$L_NS\ttls/x\thq:\d+\thq\tover tls$" "$T/t.out"
expect_err "a node certificate from another CA: TLS fails (exit 2)" 2 "TLS with the node at 127.0.0.1:$TLSPORT failed" \
    "$PN" pub --topic tls/x --message x --address "127.0.0.1:$TLSPORT" --ca "$C/other.pem"

# ---- the connection from the config file --------------------------------------
printf '%s\n' "[node]" "data = $D" "mqtt = 127.0.0.1:$PORT" "principals = $P" "" "[client]" \
    "user = alice" "password_file = $T/alice.pw" >"$T/node.conf"
expect_out "pub --config: address from [node] mqtt, login from [client]" \
    "published 1 message on conf/x" \
    "$PN" pub --topic conf/x --label "$L_NU" --message "via config" --config "$T/node.conf"
ok "sub via PARTNERNET_CONFIG" env PARTNERNET_CONFIG="$T/node.conf" bash -c \
    "timeout 20 '$PN' sub --topic conf/x --count 1 2>/dev/null >'$T/c.out' &
     p=\$!; for _ in \$(seq 200); do [ -s '$T/c.out' ] && break; \
     '$PN' pub --topic conf/x --label '$L_NU' --message again --qos 1 >/dev/null || exit 1; \
     grep -q again '$T/c.out' && break; done; wait \$p"
ok "... it printed the message" grep -qP "\tconf/x\thq:\d+\thq\tagain$" "$T/c.out"
expect_out "options override [client]: bob's login refused for NS" 1 \
    bash -c "'$PN' pub --topic conf/x --label '$L_NS' --message x --config '$T/node.conf' \
        --user bob --password-file '$T/bob.pw' 2>/dev/null; echo \$?"
expect_rc "serve --check accepts a config with a [client] section" 0 \
    "$PN" serve --check --config "$T/node.conf" --mqtt off
printf '%s\n' "[client]" "usr = alice" >"$T/bad.conf"
expect_err "serve: an unknown [client] key is named" 2 "unknown [client] setting 'usr' (did you mean 'user'?)" \
    "$PN" serve --check --config "$T/bad.conf"
ok "the node logged no sanitizer report" srv_clean_log
done_testing
