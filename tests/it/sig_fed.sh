#!/usr/bin/env bash
# sig_fed.sh -- origin signatures across a relay: HQ -> SWE -> UKR, where
# SWE is a fake relay (tests/it/node/roguepeer.js: a small MQTT 5 server
# UKR's link logs in to) that relays HQ's genuine messages, signatures
# included, and between them copies it altered: a label rewritten (a
# downgrade), a payload byte changed, the origin id changed to swe, the
# signature stripped.  UKR trusts HQ's keys (rotation: an old key until
# today, the current one from today, one that ended yesterday, one
# revoked) and a key for swe.  UKR must refuse every altered copy and what
# the expired and the revoked key signed (PUBACK 0x87, audited
# import_refused with reason "signature"), store every genuine message
# behind them (also the genuine copy of an id whose altered copy came
# first), keep the link up, and hold the signatures so that
# `partnernet verify` accepts UKR's log.  Then HQ's current key is revoked
# in UKR's trust file and UKR reloads it (SIGHUP): a message that key
# signed, relayed afterwards, is refused.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. tests/it/lib/server.sh
it_need node mosquitto_pub || exit
it_tmp
T=$IT_TMP
it_npm || exit
L="NATO CONFIDENTIAL REL TO NATO, SWE"
HQP=$(it_port)
RP=$(it_port)
UP=$(it_port)
while [ "$RP" = "$HQP" ]; do RP=$(it_port); done
while [ "$UP" = "$HQP" ] || [ "$UP" = "$RP" ]; do UP=$(it_port); done
TODAY=$(date -u +%Y-%m-%d)
YESTERDAY=$(date -u -d yesterday +%Y-%m-%d)

# ---- HQ signs with four keys in turn --------------------------------------
echo "pw-pub" | "$PN" principal add pub --nation USA --clearance NS --password-stdin \
    --principals "$T/hq.json" >/dev/null
printf '[node]\nname = hq\ndata = %s/hq\nmqtt = 127.0.0.1:%s\nhttp = off\nprincipals = %s/hq.json\n' \
    "$T" "$HQP" "$T" >"$T/hq.conf"
: >"$T/ukr.trust"
hq_with_key() { # KEY [until=|from=|revoked ...]: HQ signs with key KEY from now on
    local k=$1
    shift
    "$PN" node init --data "$T/keys/$k" --name hq | tail -1 | sed "s/\$/ $*/" >>"$T/ukr.trust" &&
        mkdir -p "$T/hq" && cp "$T/keys/$k/node.key" "$T/hq/node.key"
}
hq_publish() { # TOPIC PAYLOAD...: QoS 1 publishes at HQ, each acknowledged
    local t=$1 p
    shift
    "$PN" serve --config "$T/hq.conf" >"$T/hq.$t.log" 2>&1 &
    local pid=$!
    IT_PIDS+=("$pid")
    wait_ready "$pid" "$T/hq.$t.log" || return 1
    for p in "$@"; do
        mosquitto_pub -h 127.0.0.1 -p "$HQP" -u pub -P pw-pub -V mqttv5 -q 1 -t "intel/$t" -m "$p" \
            -D publish user-property label "$L" || return 1
    done
    kill -TERM "$pid" && wait "$pid"
}
ok "setup: HQ signs with a key that ended yesterday" hq_with_key expired "until=$YESTERDAY"
ok "setup: HQ publishes with it" hq_publish expired e1
ok "setup: HQ signs with a key revoked since" hq_with_key revoked revoked
ok "setup: HQ publishes with it" hq_publish revoked r1
ok "setup: HQ signs with its old key (valid until today)" hq_with_key old "until=$TODAY"
ok "setup: HQ publishes with it" hq_publish old o1
ok "setup: HQ signs with its current key (valid from today)" hq_with_key cur "from=$TODAY"
ok "setup: HQ publishes with it" hq_publish cur g1 g2 g3 g4 g5 g6
"$PN" node init --data "$T/keys/swe" --name swe | tail -1 >>"$T/ukr.trust"
"$PN" log list --data "$T/hq" --json >"$T/hq.jsonl"
ok "setup: HQ holds 9 signed messages" test "$(grep -c '"sig": "1\.' "$T/hq.jsonl")" = 9

# ---- the fake relay's script: genuine messages and altered copies --------
python3 - "$T/hq.jsonl" >"$T/script.json" <<'PY' || exit 1
import base64, json, sys
msgs = {}
for line in open(sys.argv[1]):
    d = json.loads(line)
    msgs[base64.b64decode(d["payload_base64"]).decode()] = d
def pub(d, payload=None, label=None, ident=None, sig=True):
    props = [["label", label or d["label"]], ["id", ident or d["id"]],
             ["time", str(int(__import__("calendar").timegm(
                 __import__("time").strptime(d["time"], "%Y-%m-%dT%H:%M:%SZ"))))]]
    if sig:
        props.append(["sig", d["sig"]])
    return {"topic": d["topic"],
            "payload": payload if payload is not None else base64.b64decode(d["payload_base64"]).decode(),
            "props": props}
seq = "hq:" + msgs["g4"]["id"].split(":")[1]
out = [pub(msgs["g1"]),
       pub(msgs["g2"], label="NATO UNCLASSIFIED REL TO NATO, SWE"),  # downgraded
       pub(msgs["g2"]),
       pub(msgs["g3"], payload="G3"),                                  # a payload byte
       pub(msgs["g3"]),
       pub(msgs["g4"], ident="swe:" + seq.split(":")[1]),              # another origin
       pub(msgs["g4"]),
       pub(msgs["o1"]),
       pub(msgs["e1"]),
       pub(msgs["r1"]),
       pub(msgs["g5"], sig=False),                                     # signature stripped
       pub(msgs["g5"])]
for i, m in enumerate(out):
    m["pid"] = i + 1
print(json.dumps(out))
later = pub(msgs["g6"])
later["pid"] = 1
json.dump([later], open(sys.argv[1] + ".later", "w"))
PY

# ---- UKR pulls from the fake relay ----------------------------------------
echo "pw-x" >"$T/rogue.pass"
echo "pw-swe" | "$PN" principal add swe --nation SWE --clearance NS --role node --password-stdin \
    --principals "$T/ukr.json" >/dev/null
printf '[node]\nname = ukr\ndata = %s/ukr\nmqtt = 127.0.0.1:%s\nhttp = off\nprincipals = %s/ukr.json\n\n[trust]\nkeys = %s/ukr.trust\n\n[peer swe]\naddress = 127.0.0.1:%s\nprincipal = ukr-node\npassword_file = %s/rogue.pass\ntopics = intel/#\norigins = hq, swe\n' \
    "$T" "$UP" "$T" "$T" "$RP" "$T" >"$T/ukr.conf"
NODE_PATH=$PWD/build/it-node/node_modules node tests/it/node/roguepeer.js "$RP" "$T/rogue.events" "$T/script.json" 2>"$T/rogue.err" &
RELAY=$!
IT_PIDS+=("$RELAY")
ok "setup: the fake relay listens" wait_until 10 grep -q LISTENING "$T/rogue.events"
"$PN" serve --config "$T/ukr.conf" >"$T/ukr.log" 2>&1 &
UKR=$!
IT_PIDS+=("$UKR")
wait_ready "$UKR" "$T/ukr.log"
_report $? "setup: UKR starts with [peer swe] (the fake relay) and [trust] keys"
ok "the relay gets all 12 acknowledgements" wait_until 15 bash -c "[ \$(grep -c '^PUBACK' '$T/rogue.events') -ge 12 ]"
puback() { grep "^PUBACK $1 " "$T/rogue.events" | head -1 | cut -d' ' -f3-; }
expect_out "genuine messages are stored (PUBACK 0x00)" "1 0x00|3 0x00|5 0x00|7 0x00|8 0x00|12 0x00" \
    bash -c "grep -E '^PUBACK (1|3|5|7|8|12) ' '$T/rogue.events' | cut -d' ' -f2,3 | sort -n | paste -sd'|'"
for c in "2|label rewritten|signature does not match" \
    "4|a payload byte changed|signature does not match" \
    "6|origin id changed to swe|may not sign for origin swe" \
    "9|signed by a key that ended yesterday|not valid at the message's origin time" \
    "10|signed by a revoked key|is revoked" \
    "11|signature stripped|no signature"; do
    IFS='|' read -r pid what why <<<"$c"
    got=$(puback "$pid")
    case $got in
    "0x87 "*"$why"*) _report 0 "$what: PUBACK 0x87, '$why'" ;;
    *) _report 1 "$what: PUBACK 0x87, '$why'" "got: $got" ;;
    esac
done
ids() { "$PN" log list --data "$T/ukr" | cut -f2,6 | sort | tr '\t' '=' | paste -sd' '; }
want=$(python3 - "$T/hq.jsonl" <<'PY'
import base64, json, sys
out = []
for line in open(sys.argv[1]):
    d = json.loads(line)
    p = base64.b64decode(d["payload_base64"]).decode()
    if p in ("g1", "g2", "g3", "g4", "g5", "o1"):
        out.append(d["id"] + "=" + p)
print(" ".join(sorted(out)))
PY
)
expect_out "UKR holds exactly the genuine messages, with their genuine payloads" "$want" ids
expect_out "every label at UKR is HQ's: nothing downgraded" "$L" \
    bash -c "'$PN' log list --data '$T/ukr' | cut -f5 | sort -u"
expect_out "6 refusals audited as import_refused, reason signature" 6 \
    bash -c "'$PN' audit --data '$T/ukr' --kind import_refused --reason signature --since 1h --json | grep -c '\"signature\"'"
ok "the audit names the id and why" bash -c \
    "'$PN' audit --data '$T/ukr' --kind import_refused --json --since 1h | grep -q 'id hq:[0-9]*: signature does not match'"
ok "the link is still up: 6 stored, 6 refused" wait_until 5 bash -c \
    "'$PN' peers --data '$T/ukr' --json | tr -d ' \n' | grep -q '\"state\":\"up\".*\"stored\":6,\"duplicates\":0,\"refused\":6'"
"$PN" log list --data "$T/ukr" --json >"$T/ukr.jsonl"
expect_rc "UKR's log verifies with UKR's trusted keys: the signatures travelled and were stored" 0 \
    "$PN" verify "$T/ukr.jsonl" --trust "$T/ukr.trust"

# ---- revocation while UKR runs (SIGHUP) ------------------------------------
sed -i "s/ from=$TODAY\$/ from=$TODAY revoked/" "$T/ukr.trust"
ok "setup: HQ's current key is marked revoked in UKR's trust file" grep -q ' revoked$' "$T/ukr.trust"
kill -HUP "$UKR"
ok "UKR reloads its trusted keys on SIGHUP" wait_until 10 grep -q 'trusted keys reloaded' "$T/ukr.log"
kill "$RELAY"
wait "$RELAY" 2>/dev/null
NODE_PATH=$PWD/build/it-node/node_modules node tests/it/node/roguepeer.js "$RP" "$T/rogue2.events" "$T/hq.jsonl.later" 2>"$T/rogue2.err" &
IT_PIDS+=($!)
ok "the link comes back and the relay sends g6 (signed by the now revoked key)" \
    wait_until 30 grep -q '^PUBACK 1 ' "$T/rogue2.events"
expect_has "refused: PUBACK 0x87, key revoked" "^PUBACK 1 0x87 .*is revoked" cat "$T/rogue2.events"
expect_out "UKR does not hold g6" 0 bash -c "l=\$('$PN' log list --data '$T/ukr') || exit; grep -c \$'\tg6\$' <<<\"\$l\""
kill -TERM "$UKR" 2>/dev/null
wait "$UKR"
_report $? "setup: UKR stops cleanly"
ok "no sanitizer report at UKR" no_sanitizer_report "$T/ukr.log"
done_testing
