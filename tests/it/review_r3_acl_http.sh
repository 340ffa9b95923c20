#!/usr/bin/env bash
# review_r3_acl_http.sh -- (review r3) topic rules (acl_file) say "read
# covers subscriptions and deliveries ... a subscriber never receives a
# topic it may not read" (acl.h), and MQTT enforces them (SUBACK 0x87,
# allowed() at delivery) -- but GET /v1/messages (src/http/messages.c, the
# history scan and 'since') never asks the ACL: a principal whose rules
# close ops/# reads every ops/ message the labels allow over HTTP.
# Expected: history applies the same read rules (aclAllowsTopic per
# message, as allowed() does), so olena gets public/ only.
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh
. tests/it/lib/http.sh
it_need curl python3 || exit
it_tmp
T=$IT_TMP
D=$T/d
mkdir -p "$D"
P=$D/principals.json
principal alice SWE NS
principal olena UKR NS
TA=$(token alice)
TO=$(token olena)
printf 'topic read public/#\nprincipal alice\ntopic readwrite #\n' >"$T/acl"
printf '[node]\nname = it-r3a\nacl_file = %s\n' "$T/acl" >"$T/n.conf"
srv_start "$D" --config "$T/n.conf" --mqtt 127.0.0.1:@PORT@ --http 127.0.0.1:@HTTPPORT@
_report $? "setup: node starts with an ACL file and HTTP" "$(cat "$SRV_LOG")"
U=http://127.0.0.1:$HTTPPORT
L='NATO UNCLASSIFIED REL TO PFP'
for t in ops/secret-plan public/news; do
    st=$(hc -H "$(A "$TA")" --data-binary "{\"topic\": \"$t\", \"label\": \"$L\", \"payload\": \"$t\"}" "$U/v1/messages")
    _report $([ "$st" = 201 ] && echo 0 || echo 1) "setup: alice (readwrite #) publishes $t over HTTP" "status $st $(cat "$T/body")"
done
st=$(hc -H "$(A "$TO")" "$U/v1/messages?topic=%23")
echo "# olena GET topic=#: $st $(cat "$T/body")"
ok "setup: olena's history request is answered" test "$st" = 200
ok "olena (read public/# only) gets public/news from the history" grep -q '"public/news"' "$T/body"
ok "olena does not get ops/secret-plan, which her topic rules close" bash -c "! grep -q 'ops/secret-plan' '$T/body'"
st=$(hc -H "$(A "$TO")" "$U/v1/messages?topic=ops/%23")
echo "# olena GET topic=ops/#: $st $(cat "$T/body")"
ok "olena asking for ops/# directly gets no ops/ message" bash -c "! grep -q 'ops/secret-plan' '$T/body'"
ok "node still running" srv_alive
srv_stop
_report $? "setup: SIGTERM stops the node with exit 0" "$(tail -n 20 "$SRV_LOG")"
rep=$(srv_clean_log)
_report $? "no sanitizer report" "$rep"
done_testing
