#!/usr/bin/env bash
# harden_sessions.sh -- issue 10, items 14 and 17 (SUBSCRIBE, topic length):
# one principal must not be able to fill the node with sessions and
# subscriptions, or make it rewrite its session state over and over.
#   1  caps: max_sessions_per_principal (CONNACK 0x97 / 3.1.1 5),
#      max_subscriptions (SUBACK 0x97 per filter), one SUBACK reason code per
#      filter (300 filters), topics up to 65,535 bytes, audit lines  (node C)
#   2  MQTT 3.1.1 persistent sessions expire after session_expiry_311
#      (still there before, gone after)                            (node C)
#   3  an idle node does not rewrite its session state; a subscription
#      change writes that session only (bytes measured from /proc/PID/io);
#      sessions survive kill -9; a sessions.json from before is read (node S)
# Clients: raw MQTT bytes from Node.js (tests/it/node/sessions.js) and
# mosquitto_pub/mosquitto_sub.  Every node must stop cleanly with no
# sanitizer report.
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh

it_need mosquitto_pub mosquitto_sub node || exit

it_tmp
T=$IT_TMP
L_U='NATO UNCLASSIFIED REL TO PFP'

principal() { # FILE NAME: password pw-NAME, SWE NS
    echo "pw-$2" | "$PN" principal add "$2" --nation SWE --clearance NS --password-stdin --principals "$1" >/dev/null
}
pub() { # USER ARG...: MQTT 5, labelled
    local u=$1
    shift
    mosquitto_pub -h 127.0.0.1 -p "$PORT" -u "$u" -P "pw-$u" -V mqttv5 -D publish user-property label "$L_U" "$@"
}
sub() {
    local u=$1
    shift
    mosquitto_sub -h 127.0.0.1 -p "$PORT" -u "$u" -P "pw-$u" "$@"
}
audit() { "$PN" audit --data "$1" --since 1h --json; }
node_done() {
    srv_stop
    local rc=$?
    ok "$1 stops cleanly (exit $rc)" test "$rc" -eq 0
    ok "$1: no sanitizer report" srv_clean_log
}
# The session state on disk: inode, mtime (ns) and size of every file.
state() { find "$1" -maxdepth 2 -path "$1/sessions*" -type f -printf '%i %T@ %s %p\n' | sort; }

###########################################################################
echo "# 1. caps on sessions and subscriptions, SUBACK sizes, long topics"
C=$T/c
mkdir -p "$C"
principal "$C/principals.json" alice
principal "$C/principals.json" bob
cat >"$C/node.conf" <<EOF
[node]
max_sessions_per_principal = 4
max_subscriptions = 10
session_expiry_311 = 4
[topic tl/#]
label = NATO UNCLASSIFIED REL TO PFP
EOF
srv_start "$C" --config "$C/node.conf" --mqtt 127.0.0.1:@PORT@ --http 127.0.0.1:@HTTPPORT@ --node it-c --principals "$C/principals.json"
_report $? "node C starts with the session settings" "$(cat "$SRV_LOG")"
MAXSUBS=10 MAXSESS=4 node_tap tests/it/node/sessions.js "$PORT" alice pw-alice bob pw-bob suback subcap sesscap topiclen
ok "audit: the refused subscriptions are recorded with the cap" bash -c \
    "'$PN' audit --data '$C' --since 1h --json | grep '\"subscribe_refused\"' | grep '\"quota\"' | grep -q 'max_subscriptions 10'"
ok "audit: the refused session is recorded with the cap" bash -c \
    "'$PN' audit --data '$C' --since 1h --json | grep '\"login_refused\"' | grep '\"alice\"' | grep -q 'max_sessions_per_principal 4'"
# The same topic length over HTTP: POST a 3,000-byte topic, read it back
# from history with that topic as the filter.
TOK=$("$PN" token create --principal alice --data "$C" 2>/dev/null)
LONG="tl/$(head -c 2997 /dev/zero | tr '\0' h)"
status=$(curl -s -o "$T/post.json" -w '%{http_code}' -H "Authorization: Bearer $TOK" \
    -d "{\"topic\": \"$LONG\", \"label\": \"$L_U\", \"payload\": 1}" "http://127.0.0.1:$HTTPPORT/v1/messages")
ok "HTTP: POST /v1/messages with a 3,000-byte topic: 201 ($status $(head -c 200 "$T/post.json"))" test "$status" = 201
status=$(curl -s -o "$T/hist.json" -w '%{http_code}' -H "Authorization: Bearer $TOK" \
    "http://127.0.0.1:$HTTPPORT/v1/messages?topic=$LONG")
ok "HTTP: GET /v1/messages?topic=<that topic> returns it ($status)" python3 -c \
    "import json,sys; d=json.load(open('$T/hist.json')); sys.exit(0 if [len(m['topic']) for m in d['messages']] == [3000] else 1)"
ok "node C still running" srv_alive

# A cap of 0 (or past 32 bits) would lock every client out: refused at start.
printf '[node]\nmax_subscriptions = 0\n' >"$T/bad.conf"
bad_serve() { "$PN" serve --config "$T/bad.conf" --data "$T/bad" --mqtt 127.0.0.1:0 --http off >"$T/bad.out" 2>&1; }
expect_rc "serve: max_subscriptions = 0 is refused with exit 2" 2 bad_serve
ok "... with a sentence naming the setting and its range" grep -q "bad.conf:2: 'max_subscriptions' must be 1 to 4294967295" "$T/bad.out"
printf '[node]\nsession_expiry_311 = 4294967296\n' >"$T/bad.conf"
expect_rc "serve: session_expiry_311 past 32 bits is refused with exit 2" 2 bad_serve

###########################################################################
echo "# 2. 3.1.1 persistent sessions expire after session_expiry_311 (4 s)"
# The cap of 4 is used by part 1; bob has one session (cap-other).
sub bob -V mqttv311 -c -i old311 -q 1 -t 'exp/#' -E
ok "3.1.1 persistent subscriber made its session" test $? -eq 0
t0=$(date +%s.%N)
pub bob -t exp/a -m first -q 1
sub bob -V mqttv311 -c -i old311 -q 1 -t 'exp/#' -C 1 -W 5 >"$T/exp1.out"
t1=$(date +%s.%N)
ok "before the expiry (after $(echo "$t1 - $t0" | bc) s < 3 s) the session is there: its queued message arrives" \
    bash -c "[ \"\$(cat '$T/exp1.out')\" = first ] && echo '$t1 - $t0 < 3' | bc | grep -qx 1"
pub bob -t exp/a -m second -q 1
ok "the second message is accepted while the session is offline" test $? -eq 0
expired() { audit "$C" | grep '"session_expired"' | grep '"bob"' | grep -q 'session old311 expired'; }
wait_until 12 expired
ok "the session expires (audited as session_expired)" expired
t2=$(date +%s.%N)
ok "not before 3 s offline and within 8 s ($(echo "$t2 - $t1" | bc) s)" bash -c "echo '$t2 - $t1 >= 3 && $t2 - $t1 <= 8' | bc | grep -qx 1"
sub bob -V mqttv311 -c -i old311 -q 1 -t 'exp/#' -C 1 -W 2 >"$T/exp2.out" 2>/dev/null
ok "after the expiry its queued message is gone with it" test ! -s "$T/exp2.out"
node_done "node C"

###########################################################################
echo "# 3. session storage: idle, incremental, kill -9, the old sessions.json"
S=$T/s
mkdir -p "$S"
principal "$S/principals.json" alice
principal "$S/principals.json" dave
# alice as written before principal instance ids (no "id": her version 0
# instance), since her session below predates them too.
python3 -c 'import json,sys
f=sys.argv[1]; d=json.load(open(f))
for p in d["principals"]:
    if p["name"] == "alice": del p["id"]
json.dump(d, open(f, "w"))' "$S/principals.json"
DAVE_ID=$(python3 -c 'import json,sys
print([p["id"] for p in json.load(open(sys.argv[1]))["principals"] if p["name"] == "dave"][0])' "$S/principals.json")
# A sessions.json as nodes before this change wrote it: one 3.1.1-style
# session 'legacy' subscribed to legacy/# at QoS 1, from before instance
# ids; one 'legacy-dave' as the node before per-session files last wrote
# it, with dave's instance id, an incoming QoS 2 id awaiting PUBREL and an
# unacknowledged retained offset.
cat >"$S/sessions.json" <<EOF
[{"client":"legacy","principal":"alice","expiry":4294967295,"disconnected":1,"resume":0,"node":false,"lost":0,"subs":[{"filter":"legacy/#","qos":1,"nl":false,"rap":false,"rh":0,"id":0}]},
 {"client":"legacy-dave","principal":"dave","principal_id":"$DAVE_ID","expiry":4294967295,"disconnected":1,"resume":0,"node":false,"lost":0,"subs":[{"filter":"dave/#","qos":1,"nl":false,"rap":false,"rh":0,"id":0}],"stored":[0],"qos2":[7]}]
EOF
srv_start "$S" --mqtt 127.0.0.1:@PORT@ --http off --node it-s --principals "$S/principals.json"
_report $? "node S starts on an old sessions.json" "$(cat "$SRV_LOG")"
pub alice -t legacy/x -m from-before -q 1
sub alice -V mqttv311 -c -i legacy -q 1 -t 'legacy/#' -C 1 -W 5 >"$T/legacy.out"
ok "the session from the old sessions.json kept its subscription" test "$(cat "$T/legacy.out")" = from-before
ok "sessions.json was converted (no longer there)" test ! -e "$S/sessions.json"
# legacy-dave's file carries what sessions.json held: instance id, QoS 2 id.
converted() {
    python3 -c 'import json,glob,sys
for f in glob.glob(sys.argv[1] + "/sessions/*.json"):
    s = json.load(open(f))
    if s["client"] == "legacy-dave":
        sys.exit(0 if s["principal_id"] == sys.argv[2] and s["qos2"] == [7] and s["subs"][0]["filter"] == "dave/#" else 1)
sys.exit(1)' "$S" "$DAVE_ID"
}
ok "the converted session file keeps principal_id and the QoS 2 id awaiting PUBREL" converted
pub dave -t dave/x -m to-dave -q 1
sub dave -V mqttv311 -c -i legacy-dave -q 1 -t 'dave/#' -C 1 -W 5 >"$T/dave.out"
ok "dave's session (same instance) resumed with its subscription" test "$(cat "$T/dave.out")" = to-dave

FILL_SESSIONS=20 FILL_SUBS=200 node_tap tests/it/node/sessions.js "$PORT" alice pw-alice alice pw-alice fill
sub_bg "$T/idle.out" -h 127.0.0.1 -p "$PORT" -u alice -P pw-alice -V mqttv5 -c -x 3600 -i idle-sub -q 1 -t 'idle/#'
ok "a persistent subscriber is connected and idle" test $? -eq 0
state "$S" >"$T/state1"
# Nothing happens for 3 s: the bounded wait is the behaviour under test.
sleep 3
state "$S" >"$T/state2"
ok "idle for 3 s: no session file rewritten (inode, mtime, size)" cmp -s "$T/state1" "$T/state2"
ok "the session state is in files under $S/sessions*" test -s "$T/state1"

DATA_DIR=$S NODE_PID=$SRV_PID node_tap tests/it/node/sessions.js "$PORT" alice pw-alice alice pw-alice change
state "$S" >"$T/state3"
# The files changed, by session: N.json and N.resume are one session's
# (its attach, subscription and detach may touch both, as timing falls).
changed_sessions() { diff "$T/state2" "$T/state3" | sed -n -E 's|^> .*/([^/]+)\.(json\|resume)$|\1|p' | sort -u | wc -l; }
ok "the subscription change rewrote one session's files at most, not the others" \
    test "$(changed_sessions)" -le 1

kill "$SUB_PID" 2>/dev/null
wait "$SUB_PID" 2>/dev/null
for i in 1 2 3; do pub alice -t idle/x -m "queued-$i" -q 1; done
srv_kill9
# Restarted with a lower max_subscriptions: what was granted stays.
printf '[node]\nmax_subscriptions = 5\n' >"$S/low.conf"
SRV_ARGS+=(--config "$S/low.conf")
srv_restart
_report $? "node S restarts after kill -9 (now with max_subscriptions = 5)" "$(cat "$SRV_LOG")"
sub alice -V mqttv5 -c -x 3600 -i idle-sub -q 1 -t 'idle/#' -C 3 -W 5 >"$T/after.out"
ok "the persistent subscriber gets its 3 acknowledged messages after kill -9 and restart" \
    test "$(tr '\n' ' ' <"$T/after.out")" = "queued-1 queued-2 queued-3 "
pub alice -t fill/3/one/more -m kept -q 1
sub alice -V mqttv5 -c -x 600 -i fill-3 -q 1 -t 'fill/3/one/more' -C 1 -W 5 >"$T/fill3.out" 2>&1
ok "the 201st subscription, added before the crash, is still there under the lower cap" \
    grep -qx kept "$T/fill3.out"
node_done "node S"

done_testing
