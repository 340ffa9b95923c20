#!/usr/bin/env bash
# review_r1_history_count.sh -- (review r1) GET /v1/messages accepted any
# "since=NODE:N" (not only ids the caller was given), and whether the scan
# stopped at its bound (sealed cursor, "more": true) or reached the end
# ("more": false, the caller's since back) depended on how many records
# follow N -- visible or not.  Two requests that return no message at all
# differed, so a caller who may see nothing learnt the exact number of
# messages the node holds (a binary search over N).  Expected:
#   - "since=NODE:N" is accepted only when N is the id of a message the
#     caller may read; else 400 bad_since, the same answer whether N is
#     invisible or does not exist;
#   - a page without messages is the same (a sealed cursor, "more": false)
#     whether the scan stopped at its bound or at the end of the log, also
#     from ids the caller may see (topic filter) and from a time;
#   - paging from those cursors still reaches every visible message.
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh
. tests/it/lib/http.sh

it_need curl python3 mosquitto_pub || exit

it_tmp
T=$IT_TMP
D=$T/m
mkdir -p "$D"
P=$D/principals.json
principal opusa USA CTS --caveat ATOMAL
principal jpn JPN NU
TJ=$(token jpn)
TU=$(token opusa)

srv_start "$D" --mqtt 127.0.0.1:@PORT@ --http 127.0.0.1:@HTTPPORT@ --node it-rh
_report $? "setup: node starts with HTTP" "$(cat "$SRV_LOG")"
U=http://127.0.0.1:$HTTPPORT
L_TOP='COSMIC TOP SECRET ATOMAL'
L_JPN='NATO UNCLASSIFIED REL TO JPN'
post() { hc -H "$(A "$TU")" --data-binary "{\"topic\": \"pub/v\", \"label\": \"$L_JPN\", \"payload\": 1}" "$U/v1/messages"; }
count() { "$PN" log list --data "$D" | wc -l; }
flood() { # N: N messages JPN NU may not see, on secret/x
    local want=$(($(count) + $1))
    seq "$1" | timeout 300 mosquitto_pub -h 127.0.0.1 -p "$PORT" -u opusa -P pw-opusa -V mqttv5 -q 0 \
        -t secret/x -D PUBLISH user-property label "$L_TOP" -l >>"$T/flood.out" 2>&1
    wait_until 120 bash -c "[ \$('$PN' log list --data '$D' | wc -l) -ge $want ]"
}

# it-rh:0 visible to JPN, it-rh:1..49 not, it-rh:50 visible, it-rh:51..100050 not.
post >/dev/null
flood 49
post >/dev/null
ok "setup: the second visible message is it-rh:50" grep -q '"id": "it-rh:50"' "$T/body"
flood 100000
ok "setup: the node stored the 100,051" test "$(count)" -ge 100051

q() { curl -s -H "$(A "$TJ")" "$U/v1/messages?$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["messages"]), d["more"], str(d["next"])[:2]) if "messages" in d else print(d["error"]["code"], d["error"]["message"])'; }

# Ids JPN was never given: refused alike, whatever follows them.
a48=$(q since=it-rh:48) a49=$(q since=it-rh:49) anone=$(q since=it-rh:900000)
echo "# since=it-rh:48 -> $a48 ; since=it-rh:49 -> $a49 ; since=it-rh:900000 -> $anone"
ok "since=an id JPN may not see: 400 bad_since" test "${a48%% *}" = bad_since
ok "since=it-rh:48 and since=it-rh:49 answer alike (else: 100,000 records follow 48, not 49 -> the node holds exactly 100,050)" \
    test "$a48" = "$a49"
ok "an invisible id and one that does not exist answer alike" test "$a48" = "$anone"

# Ids JPN may see, with a topic filter matching none of what follows:
# 100,050 records follow it-rh:0 (the scan stops at its bound), 100,000
# follow it-rh:50 (it reaches the end).
b0=$(q 'topic=secret/x&since=it-rh:0') b50=$(q 'topic=secret/x&since=it-rh:50')
bt=$(q 'topic=secret/x&since=2020-01-01T00:00:00Z') bn=$(q 'topic=secret/x')
echo "# since=it-rh:0 -> $b0 ; since=it-rh:50 -> $b50 ; since=a time -> $bt ; no since -> $bn"
ok "no message, a sealed cursor, more false" test "$b50" = "0 False c_"
ok "bound hit or end reached: the same answer" test "$b0" = "$b50"
ok "from a time or the start: the same answer" test "$bt" = "$b50" -a "$bn" = "$b50"

# Paging on: from the sealed cursor where the bound stopped the scan.
expect_http "topic=secret/x since=it-rh:0: a sealed cursor" 200 "d['messages'] == [] and d['next'].startswith('c_')" \
    -- -H "$(A "$TJ")" "$U/v1/messages?topic=secret/x&since=it-rh:0"
C=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["next"])' "$T/body")
post >/dev/null
ok "setup: a third visible message, it-rh:100051" grep -q '"id": "it-rh:100051"' "$T/body"
expect_http "the cursor (no topic filter) leads to it" 200 "[m['id'] for m in d['messages']] == ['it-rh:100051'] and d['next'] == 'it-rh:100051' and not d['more']" \
    -- -H "$(A "$TJ")" "$U/v1/messages?since=$C"
expect_http "paging from it-rh:0: the visible ones, none skipped" 200 "[m['id'] for m in d['messages']] == ['it-rh:50']" \
    -- -H "$(A "$TJ")" "$U/v1/messages?since=it-rh:0"
ok "the node is still up" srv_alive
ok "no sanitizer report in the node's log" srv_clean_log
done_testing
