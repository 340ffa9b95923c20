#!/usr/bin/env bash
# federation.sh -- guarded, lossless store-and-forward between nodes.
#
# Three real nodes on 127.0.0.1: an alliance HQ node, a Swedish node (SWE)
# and a Ukrainian node (UKR).  Each link is configured in the pulling
# node's [peer NAME] section and logs in at the peer as a principal of its
# own nation with the "node" role, so the peer's decide() is the guard.
#
#   1. releasability across links: what reaches SWE and UKR from HQ
#   2. link failure: 50,000 messages published at HQ while the SWE link is
#      cut and restored several times (through a socat proxy that is killed),
#      the SWE node is killed with -9 once and so is HQ: SWE ends with
#      exactly the releasable messages, none lost, none twice, in order
#   3. triangle: all three nodes linked both ways; every message is stored
#      once per node, however many paths it takes
#   4. TLS: the link logs in with its node certificate; a certificate from
#      another CA, or a peer whose certificate names another host, is refused
#   5. a peer away past the log's retention is reported, not cut silently
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. tests/it/lib/server.sh
. tests/it/lib/certs.sh
. tests/it/lib/nodes.sh

command -v socat >/dev/null || { echo "not ok 1 - socat is installed (scripts/deps.sh check)"; exit 1; }
it_tmp
T=$IT_TMP
TODAY=$(date -u +%F)
L_S="NATO SECRET REL TO NATO"
L_C="NATO CONFIDENTIAL REL TO NATO, UKR"
L_U="NATO UNCLASSIFIED REL TO NATO, UKR"

declare -A NPORT

# node_start runs in this shell (not under ok, whose subshell would lose NPID).
# node_conf NAME [PEER=ADDRESS:PRINCIPAL ...] -- write $T/NAME.conf, and add
# at NAME a principal named PEER (what that peer may hold: decide() for it
# guards what the peer relays, the default peer_principal)
declare -A PEER_AS=([hq]="NATO CTS" [swe]="SWE NS" [ukr]="UKR NS")
# Every node signs with its key (made here by node init) and verifies what
# it imports against $T/trust.keys (linked as its DATA/trust.keys), which
# lists every node's key for its name: the replication below runs with
# origin signatures checked.
node_conf() {
    local name=$1 spec peer addr who line
    shift
    mkdir -p "$T/$name"
    line=$("$PN" node init --data "$T/$name" --name "$name" | tail -1)
    grep -qxF "$line" "$T/trust.keys" 2>/dev/null || echo "$line" >>"$T/trust.keys"
    ln -sf "$T/trust.keys" "$T/$name/trust.keys"
    {
        printf '[node]\nname = %s\ndata = %s/%s\nmqtt = 127.0.0.1:%s\nhttp = off\nprincipals = %s/%s.principals.json\n' \
            "$name" "$T" "$name" "${NPORT[$name]}" "$T" "$name"
        for spec in "$@"; do
            peer=${spec%%=*}
            addr=${spec#*=}
            who=${addr##*:}
            addr=${addr%:*}
            printf '\n[peer %s]\naddress = %s\nprincipal = %s\npassword_file = %s/%s.pass\ntopics = intel/#, load/#, tri/#\n' \
                "$peer" "$addr" "$who" "$T" "$who"
        done
    } >"$T/$name.conf"
    for spec in "$@"; do
        peer=${spec%%=*}
        # shellcheck disable=SC2086 # nation and clearance
        principal "$name" "$peer" ${PEER_AS[$peer]}
    done
}

# The state of NODE's outbound link to PEER, from `partnernet peers --json`.
link_state() {
    $PN peers --data "$T/$1" --json 2>/dev/null |
        tr -d ' \n' | grep -o "\"peer\":\"$2\",[^}]*" | grep -o '"state":"[a-z]*"' | cut -d'"' -f4
}
link_up() { [ "$(link_state "$1" "$2")" = up ]; }

# Messages NODE stores under FILTER: "id|label|payload" lines, sorted.
stored() { $PN log list --data "$T/$1" --topic "$2" | awk -F'\t' '{print $2 "|" $5 "|" $6}' | sort; }
stored_count() { $PN log list --data "$T/$1" --topic "$2" | wc -l; }
count_is() { [ "$(stored_count "$1" "$2")" -eq "$3" ]; }

pub() { # NODE USER LABEL TOPIC PAYLOAD
    mosquitto_pub -h 127.0.0.1 -p "${NPORT[$1]}" -u "$2" -P "pw-$2" -V mqttv5 -q 1 \
        -t "$4" -m "$5" -D publish user-property label "$3"
}

# pub_lines NODE USER LABEL TOPIC < lines: one QoS 1 message per line
pub_lines() {
    mosquitto_pub -h 127.0.0.1 -p "${NPORT[$1]}" -u "$2" -P "pw-$2" -V mqttv5 -q 1 \
        -t "$4" -l -D publish user-property label "$3"
}

no_sanitizer() { no_sanitizer_report "$T"/*.log; }

for n in hq swe ukr proxy; do NPORT[$n]=$(it_port); done
# Ports must differ from one another too.
while [ "$(printf '%s\n' "${NPORT[@]}" | sort -u | wc -l)" -lt 4 ]; do NPORT[proxy]=$(it_port); done

# ---------------------------------------------------------------------------
echo "# 1. releasability across links (HQ -> SWE, HQ -> UKR)"
principal hq pub NATO CTS
principal hq swe-node SWE NC --role node
principal hq ukr-node UKR NS --role node
principal swe reader-swe SWE CTS
principal ukr reader-ukr UKR CTS
node_conf hq
node_conf swe "hq=127.0.0.1:${NPORT[proxy]}:swe-node"
node_conf ukr "hq=127.0.0.1:${NPORT[hq]}:ukr-node"
socat TCP-LISTEN:"${NPORT[proxy]}",bind=127.0.0.1,reuseaddr,fork TCP:127.0.0.1:"${NPORT[hq]}" 2>>"$T/socat.err" &
PROXY=$!
IT_PIDS+=("$PROXY")
node_start hq; _report $? "setup: HQ node starts"
node_start swe; _report $? "setup: SWE node starts with a [peer hq] link"
node_start ukr; _report $? "setup: UKR node starts with a [peer hq] link"
ok "SWE link to HQ comes up" wait_until 10 link_up swe hq
ok "UKR link to HQ comes up" wait_until 10 link_up ukr hq
ok "a UKR reader subscribes at the UKR node" sub_bg "$T/ukr.sub" -h 127.0.0.1 -p "${NPORT[ukr]}" \
    -u reader-ukr -P pw-reader-ukr -V mqttv5 -q 1 -t 'intel/#' -F 'MSG %t|%P|%p'
expect_out "HQ publishes $L_S" "" pub hq pub "$L_S" intel/a "s-$TODAY"
expect_out "HQ publishes NATO CONFIDENTIAL REL TO NATO, UKR" "" pub hq pub "$L_C" intel/b "c-$TODAY"
ok "HQ publishes for the exercise community UKR is in" \
    pub hq pub "NATO CONFIDENTIAL REL TO SAMPLE-NORTH" intel/c nordic
ok "HQ publishes for an exercise community UKR is not in" \
    pub hq pub "NATO CONFIDENTIAL REL TO SAMPLE-EAST" intel/d baltic
ok "HQ publishes a NATO SECRET REL TO NATO, UKR (above the SWE link's clearance, NC)" \
    pub hq pub "NATO SECRET REL TO NATO, UKR" intel/e above
# Messages from one origin arrive in order: once the last one (releasable
# to both) is there, every decision about the earlier ones has been made.
expect_out "HQ publishes a last message releasable to both" "" pub hq pub "$L_C" intel/z last
ok "it arrives at SWE" wait_until 10 count_is swe intel/z 1
ok "and at UKR" wait_until 10 count_is ukr intel/z 1
expect_out "SWE holds the CONFIDENTIAL ones (SWE is in both communities), no SECRET (its link is cleared NC)" \
    "intel/b intel/c intel/d intel/z" bash -c "set -o pipefail; $PN log list --data $T/swe --topic 'intel/#' | cut -f4 | sort | paste -sd' '"
expect_out "UKR gets REL TO NATO, UKR (also SECRET: ukr-node is cleared NS) and the community it is in" \
    "intel/b intel/c intel/e intel/z" bash -c "set -o pipefail; $PN log list --data $T/ukr --topic 'intel/#' | cut -f4 | sort | paste -sd' '"
expect_out "UKR never gets NATO SECRET REL TO NATO" 0 \
    bash -c "set -o pipefail; $PN log list --data $T/ukr --topic 'intel/#' | grep -c 'REL TO NATO\$'"
expect_out "a relayed message keeps its id, origin and label" "hq:1|$L_C|c-$TODAY" \
    bash -c "set -o pipefail; $PN log list --data $T/ukr --topic intel/b | awk -F'\t' '{print \$2 \"|\" \$5 \"|\" \$6}'"
ok "the UKR reader at the UKR node receives it, with the id given at HQ" \
    wait_until 5 grep -q "^MSG intel/b|label:$L_C id:hq:1 time:[0-9]* sig:1\.[^ |]*|c-$TODAY\$" "$T/ukr.sub"
ok "the UKR reader gets the last message too" wait_until 5 grep -q '^MSG intel/z|' "$T/ukr.sub"
expect_out "the UKR reader got exactly what UKR may hold" "intel/b intel/c intel/e intel/z" \
    bash -c "set -o pipefail; grep '^MSG ' '$T/ukr.sub' | cut -d'|' -f1 | cut -c5- | paste -sd' '"
ok "releases to UKR are audited at HQ (who, nation, label)" bash -c \
    "set -o pipefail; $PN audit --data $T/hq --kind released | grep 'ukr-node .*UKR .*intel/b .*$L_C'"
ok "refusals to the UKR link are audited at HQ" bash -c \
    "set -o pipefail; $PN audit --data $T/hq --kind delivery_refused | grep 'ukr-node .*UKR .*intel/a'"
ok "'partnernet peers' on SWE shows the link up with its counters" wait_until 5 bash -c \
    "set -o pipefail; $PN peers --data $T/swe | grep -E '^hq +127.0.0.1:${NPORT[proxy]} +up +[0-9]+ +4 '"
ok "'partnernet peers' on HQ shows both inbound links" bash -c \
    "set -o pipefail; out=\$($PN peers --data $T/hq); echo \"\$out\" | grep '^swe-node .*link-swe .*yes' && echo \"\$out\" | grep '^ukr-node .*link-ukr .*yes'"

# ---------------------------------------------------------------------------
echo "# 2. link failure: 50,000 messages, link cut and restored, SWE and HQ killed with -9"
# Five chunks of 10,000 (three labels each); swe-node (NC) may hold two of them.
gen() { # CHUNK LABELTAG COUNT
    seq -f "$1-$2-%g" 1 "$3"
}
publish_chunk() { # CHUNK
    gen "$1" S 3334 | pub_lines hq pub "$L_S" load/s &
    local a=$!
    gen "$1" C 3333 | pub_lines hq pub "$L_C" load/c &
    local b=$!
    gen "$1" U 3333 | pub_lines hq pub "$L_U" load/u
    local rc=$?
    wait $a || rc=1
    wait $b || rc=1
    return $rc
}
cut_link() { kill "$PROXY" 2>/dev/null; wait "$PROXY" 2>/dev/null; pkill -f "TCP-LISTEN:${NPORT[proxy]}," 2>/dev/null; true; }
restore_link() { # (the proxy must not hold chunk_open's FIFOs open)
    socat TCP-LISTEN:"${NPORT[proxy]}",bind=127.0.0.1,reuseaddr,fork TCP:127.0.0.1:"${NPORT[hq]}" 2>>"$T/socat.err" 7>&- 8>&- 9>&- &
    PROXY=$!
    IT_PIDS+=("$PROXY")
}
ok "chunk 1 published with the link up" publish_chunk 1
cut_link
ok "chunk 2 published with the link cut" publish_chunk 2
ok "HQ holds a backlog for swe-node while the link is cut" wait_until 5 bash -c \
    "set -o pipefail; $PN peers --data $T/hq --json | tr -d ' \n' | grep -E '\"principal\":\"swe-node\",[^}]*\"backlog\":[1-9]'"
# A fault must hit traffic in flight, not an idle link: chunks 3 and 4 are
# fed to their publishers in thirds through FIFOs, so the publishers are
# still running (holding the rest) when the fault comes, and each fault
# waits until SWE has stored part of the third just written.
stored_over() { [ "$(stored_count "$1" 'load/#')" -gt "$2" ]; }
chunk_open() { # CHUNK: start the three publishers reading FIFOs 7, 8, 9
    rm -f "$T"/fifo.*
    mkfifo "$T/fifo.S" "$T/fifo.C" "$T/fifo.U"
    pub_lines hq pub "$L_S" load/s <"$T/fifo.S" &
    CPIDS=($!)
    pub_lines hq pub "$L_C" load/c <"$T/fifo.C" &
    CPIDS+=($!)
    pub_lines hq pub "$L_U" load/u <"$T/fifo.U" &
    CPIDS+=($!)
    exec 7>"$T/fifo.S" 8>"$T/fifo.C" 9>"$T/fifo.U"
    CHUNK=$1
}
chunk_third() { # PART (1..3): write that third of the chunk's lines
    local from=$((($1 - 1) * 1112 + 1)) to=$(($1 * 1112))
    [ "$1" = 3 ] && to=9999
    gen "$CHUNK" S 3334 | sed -n "${from},${to}p" >&7
    gen "$CHUNK" C 3333 | sed -n "${from},${to}p" >&8
    gen "$CHUNK" U 3333 | sed -n "${from},${to}p" >&9
}
chunk_close() { # -> 0 when every publisher exited 0
    exec 7>&- 8>&- 9>&-
    local p rc=0
    for p in "${CPIDS[@]}"; do wait "$p" || rc=1; done
    return $rc
}
restore_link
ok "SWE receives the backlog after the link is restored" wait_until 30 count_is swe 'load/#' 13332
chunk_open 3
chunk_third 1
ok "chunk 3 is flowing to SWE (publishers still running) when SWE is killed" wait_until 20 stored_over swe 13332
node_kill9 swe
chunk_third 2
chunk_third 3
chunk_close; _report $? "chunk 3 published while the SWE node was killed with -9"
node_start swe; _report $? "setup: SWE node restarts on the same data"
base=$(stored_count swe 'load/#')
chunk_open 4
chunk_third 1
ok "chunk 4 is flowing to SWE when the link is cut" wait_until 20 stored_over swe "$base"
cut_link
chunk_third 2
base=$(stored_count swe 'load/#')
restore_link
ok "chunk 4 flows again after the link is restored, and is cut again" wait_until 20 stored_over swe "$base"
cut_link
restore_link
chunk_third 3
chunk_close; _report $? "chunk 4 published while the link was cut and restored twice"
node_kill9 hq
node_start hq; _report $? "setup: HQ (the sender) killed with -9 and restarted on the same data"
ok "chunk 5 published" publish_chunk 5
for c in 1 2 3 4 5; do
    gen $c C 3333 | sed "s/^/|$L_C|/"
    gen $c U 3333 | sed "s/^/|$L_U|/"
done | sort >"$T/expect"
ok "SWE catches up: 33,330 messages stored" wait_until 120 count_is swe 'load/#' 33330
stored swe 'load/#' >"$T/got"
expect_out "no message stored twice at SWE (distinct ids)" 0 bash -c "set -o pipefail; cut -d'|' -f1 '$T/got' | sort | uniq -d | wc -l"
expect_out "exactly the releasable messages: none lost, none extra" "" \
    bash -c "set -o pipefail; cut -d'|' -f2- '$T/got' | sed 's/^/|/' | sort | diff - '$T/expect' | head -5"
ok "the backlog arrived in order: sequence numbers increase along SWE's log" bash -c \
    "set -o pipefail; $PN log list --data $T/swe --topic 'load/#' | cut -f2 | cut -d: -f2 | sort -c -n"
expect_out "every id names HQ as the origin" 33330 bash -c "grep -c '^hq:' '$T/got'"
ok "nothing NATO SECRET reached SWE" bash -c "! grep -q SECRET '$T/got'"
expect_out "SWE verified HQ's signature on every one: none refused for it" 0 bash -c \
    "'$PN' audit --data '$T/swe' --kind import_refused --reason signature --since 1h --json | wc -l"
ok "SWE's copies verify with the trusted keys (partnernet verify)" bash -c \
    "'$PN' log list --data '$T/swe' --topic 'load/#' --json > '$T/swe.jsonl' && '$PN' verify '$T/swe.jsonl' --trust '$T/trust.keys' >/dev/null"
ok "HQ's backlog for swe-node drains to 0" wait_until 20 bash -c \
    "set -o pipefail; $PN peers --data $T/hq --json | tr -d ' \n' | grep -E '\"principal\":\"swe-node\",[^}]*\"backlog\":0'"
for n in hq swe ukr; do node_stop $n; _report $? "setup: $n stops cleanly (exit 0)"; done
expect_out "the SWE node, stopped, says so in its status" yes bash -c \
    "set -o pipefail; $PN peers --data $T/swe | grep -q 'node was stopped' && echo yes"
cut_link

# ---------------------------------------------------------------------------
echo "# 3. triangle: HQ, SWE and UKR each pull from the two others"
rm -rf "$T/hq" "$T/swe" "$T/ukr" "$T"/*.principals.json
for n in hq swe ukr; do
    principal $n pub-$n NATO CTS
    principal $n hq-node NATO CTS --role node
    principal $n swe-node SWE NS --role node
    principal $n ukr-node UKR NS --role node
done
node_conf hq "swe=127.0.0.1:${NPORT[swe]}:hq-node" "ukr=127.0.0.1:${NPORT[ukr]}:hq-node"
node_conf swe "hq=127.0.0.1:${NPORT[hq]}:swe-node" "ukr=127.0.0.1:${NPORT[ukr]}:swe-node"
node_conf ukr "hq=127.0.0.1:${NPORT[hq]}:ukr-node" "swe=127.0.0.1:${NPORT[swe]}:ukr-node"
# HQ takes from UKR only what UKR originated (the [peer ukr] section is last).
echo "origins = ukr" >>"$T/hq.conf"
for n in hq swe ukr; do node_start $n; _report $? "setup: $n starts with two links"; done
for n in hq swe ukr; do
    for p in hq swe ukr; do
        [ $n = $p ] || ok "$n -> $p link up" wait_until 10 link_up $n $p
    done
done
PUBS=()
for n in hq swe ukr; do
    seq -f "$n-%g" 1 1000 | pub_lines $n pub-$n "$L_U" tri/$n &
    PUBS+=($!)
done
wait "${PUBS[@]}"; _report $? "1,000 messages published at each node"
for n in hq swe ukr; do
    ok "$n ends with all 3,000 messages" wait_until 60 count_is $n 'tri/#' 3000
done
for n in hq swe ukr; do
    expect_out "$n stores every message once (3,000 distinct ids, no duplicates)" "3000 0" bash -c \
        "set -o pipefail; ids=\$($PN log list --data $T/$n --topic 'tri/#' | cut -f2); echo \$(printf '%s\n' \$ids | sort -u | wc -l) \$(printf '%s\n' \$ids | sort | uniq -d | wc -l)"
done
ok "a message keeps the id of its origin everywhere" bash -c \
    "set -o pipefail; ids=\$(for n in hq swe ukr; do $PN log list --data $T/\$n --topic tri/hq | awk -F'\t' '\$6==\"hq-1\"{print \$2}'; done | paste -sd' '); \
     echo \"\$ids\" | grep -qE '^(hq:[0-9]+) \\1 \\1\$'"
ok "HQ refuses, and audits, what UKR relays from other origins (origins = ukr)" bash -c \
    "set -o pipefail; $PN audit --data $T/hq --kind import_refused --json | grep \"origin 'swe' is not accepted from peer ukr\""
ok "messages coming back around the triangle are recognised, not stored" wait_until 5 bash -c \
    "set -o pipefail; $PN peers --data $T/hq --json | tr -d ' \n' | grep -E '\"duplicates\":[1-9]'"
for n in hq swe ukr; do node_stop $n; _report $? "setup: $n stops cleanly"; done

# ---------------------------------------------------------------------------
echo "# 4. TLS: SWE pulls from HQ with its node certificate"
rm -rf "$T/hq" "$T/swe" "$T"/*.principals.json
certs_init "$T/certs"
CLIENT_EXT='extendedKeyUsage = clientAuth'
{ mkca ca && mkca rogue-ca &&
    mkcert server /CN=hq.example $'subjectAltName = IP:127.0.0.1, DNS:hq.example\nextendedKeyUsage = serverAuth' &&
    mkcert swe-node /C=SWE/CN=swe-node.swe "$CLIENT_EXT" && mkcert rogue /C=SWE/CN=swe-node.swe "$CLIENT_EXT" rogue-ca; } >"$T/certs.log" 2>&1
_report $? "setup: test certificates (openssl)" "$(tail -5 "$T/certs.log")"
NPORT[tls]=$(it_port)
principal hq pub NATO CTS
echo '{"principals": []}' >"$T/swe.principals.json"
principal swe hq NATO CTS # decide() for it guards what HQ relays
$PN principal add swe-node --nation SWE --clearance NS --role node --cert-cn swe-node.swe \
    --principals "$T/hq.principals.json" >/dev/null
printf '[node]\nname = hq\ndata = %s/hq\nhttp = off\nhttps = off\nmqtt = 127.0.0.1:%s\nmqtts = 127.0.0.1:%s\nprincipals = %s/hq.principals.json\ntls_cert = %s/server.pem\ntls_key = %s/server.key\ntls_ca = %s/ca.pem\n' \
    "$T" "${NPORT[hq]}" "${NPORT[tls]}" "$T" "$T/certs" "$T/certs" "$T/certs" >"$T/hq.conf"
tls_conf() { # CERTNAME [server_name]
    printf '[node]\nname = swe\ndata = %s/swe\nhttp = off\nmqtt = 127.0.0.1:%s\nprincipals = %s/swe.principals.json\n\n[peer hq]\naddress = 127.0.0.1:%s\nprincipal = swe-node\ncert = %s/%s.pem\nkey = %s/%s.key\nca = %s/ca.pem\ntopics = intel/#\n' \
        "$T" "${NPORT[swe]}" "$T" "${NPORT[tls]}" "$T/certs" "$1" "$T/certs" "$1" "$T/certs" >"$T/swe.conf"
    [ -z "${2:-}" ] || printf 'server_name = %s\n' "$2" >>"$T/swe.conf"
}
last_error_has() { $PN peers --data "$T/swe" --json | tr -d '\n' | grep -o '"last_error": *"[^"]*"' | grep -qiE "$1"; }
node_start hq; _report $? "setup: HQ starts with an MQTTS listener requiring client certificates"
tls_conf swe-node
node_start swe; _report $? "setup: SWE starts with a TLS link (cert, key, ca)"
ok "the TLS link comes up (the peer's certificate matches 127.0.0.1)" wait_until 10 link_up swe hq
expect_out "HQ publishes over plain MQTT" "" pub hq pub "$L_C" intel/tls over-tls
ok "it reaches SWE over the TLS link" wait_until 10 count_is swe intel/tls 1
node_stop swe; _report $? "setup: SWE stops"
tls_conf swe-node wrong.example
node_start swe; _report $? "setup: SWE starts expecting the peer to be wrong.example"
ok "the link refuses a peer certificate for another name" wait_until 10 last_error_has 'certificate verify failed'
ok "and never comes up" bash -c "[ \"\$($PN peers --data $T/swe --json | tr -d ' \n' | grep -o '\"connects\":[0-9]*')\" = '\"connects\":0' ]"
node_stop swe; _report $? "setup: SWE stops"
tls_conf rogue
node_start swe; _report $? "setup: SWE starts with a certificate from another CA"
ok "HQ refuses it: the link stays down with the TLS error" wait_until 10 last_error_has 'TLS|alert|connection lost'
ok "nothing more reached SWE" count_is swe 'intel/#' 1
for n in hq swe; do node_stop $n; _report $? "setup: $n stops cleanly"; done

# ---------------------------------------------------------------------------
echo "# 5. a peer away past the retention of the log is reported"
rm -rf "$T/hq" "$T/swe" "$T"/*.principals.json
principal hq pub NATO CTS
principal hq swe-node SWE NS --role node
node_conf hq
printf 'max_queued = 100\nsegment_bytes = 65536\nretain_bytes = 200000\n' >>"$T/hq.conf"
node_conf swe "hq=127.0.0.1:${NPORT[hq]}:swe-node"
node_start hq; _report $? "setup: HQ starts with 64 KiB segments and 200 KB retention"
node_start swe; _report $? "setup: SWE starts"
ok "the link comes up" wait_until 10 link_up swe hq
node_stop swe; _report $? "setup: SWE goes away"
seq -f "r-%g-$(printf '%0150d' 0)" 1 4000 | pub_lines hq pub "$L_U" load/r
_report $? "HQ takes 4,000 messages of 160 bytes meanwhile"
ok "HQ reports messages lost to retention for swe-node (peers LOST)" wait_until 10 bash -c \
    "set -o pipefail; $PN peers --data $T/hq | grep -E '^swe-node +link-swe +no +[0-9]+ +[1-9]'"
ok "and audits it (retention_loss, swe-node)" bash -c "set -o pipefail; $PN audit --data $T/hq --kind retention_loss | grep 'swe-node'"
node_start swe; _report $? "setup: SWE comes back"
ok "SWE receives what the log still held, up to the last message" wait_until 20 bash -c \
    "set -o pipefail; $PN log list --data $T/swe --topic load/r | grep 'r-4000-'"
ok "fewer than 4,000: the rest was reported lost, not delivered twice or invented" bash -c \
    "set -o pipefail; n=\$($PN log list --data $T/swe --topic load/r | wc -l); [ \$n -lt 4000 ] && [ \$($PN log list --data $T/swe --topic load/r | cut -f2 | sort -u | wc -l) -eq \$n ]"
node_stop swe; _report $? "setup: SWE goes away again"
node_stop hq; _report $? "setup: HQ stops"
sed -i 's/^max_queued = 100$/max_queued = 100000/' "$T/hq.conf"
node_start hq; _report $? "setup: HQ restarts keeping whole backlogs in memory (max_queued 100000)"
seq -f "q-%g-$(printf '%0150d' 0)" 1 4000 | pub_lines hq pub "$L_U" load/q
_report $? "HQ takes 4,000 more while SWE is away (its old segments retire, the queue holds them)"
ok "HQ's retention removes the segments that backlog is in (it stays queued in memory)" wait_until 5 bash -c \
    "first=\$(ls $T/hq/log | head -1); first=\${first%.log}; [ \$((10#\$first)) -gt 4000 ]"
node_stop hq; _report $? "setup: HQ stops with that backlog"
node_start hq; _report $? "setup: HQ restarts: the saved session resumes below the log's first record"
ok "the loss is reported after the restart too (audit)" wait_until 5 bash -c \
    "set -o pipefail; [ \$($PN audit --data $T/hq --kind retention_loss | grep -c swe-node) -ge 2 ]"
ok "and in peers.json, kept across the restart (LOST above the first outage's)" wait_until 5 bash -c \
    "set -o pipefail; $PN peers --data $T/hq --json | tr -d ' \n' | grep -E '\"principal\":\"swe-node\",[^}]*\"lost_to_retention\":[1-9]'"
node_start swe; _report $? "setup: SWE comes back"
ok "SWE receives the rest up to the last message" wait_until 20 bash -c \
    "set -o pipefail; $PN log list --data $T/swe --topic load/q | cut -f2 | grep -x 'hq:7999'"
for n in hq swe; do node_stop $n; _report $? "setup: $n stops cleanly"; done

# ---------------------------------------------------------------------------
echo "# 6. a session belongs to its principal: a client cannot take over a link's client id"
rm -rf "$T/hq" "$T/swe" "$T"/*.principals.json
principal hq pub NATO CTS
principal hq swe-node SWE NS --role node
principal hq mallory SWE NU
node_conf hq
node_conf swe "hq=127.0.0.1:${NPORT[hq]}:swe-node"
node_start hq; _report $? "setup: HQ starts"
node_start swe; _report $? "setup: SWE starts"
ok "the link comes up" wait_until 10 link_up swe hq
node_stop swe; _report $? "setup: SWE goes away"
expect_out "HQ queues a message for it" "" pub hq pub "$L_U" intel/m kept
mosquitto_sub -h 127.0.0.1 -p "${NPORT[hq]}" -u mallory -P pw-mallory -V mqttv5 -i link-swe -t 'intel/#' -C 1 -W 2 \
    >"$T/mallory.out" 2>&1
ok "another principal naming the link's client id is refused: Client Identifier not valid (0x85)" \
    grep -qi "client identifier not valid" "$T/mallory.out"
ok "and receives nothing of the link's session" bash -c "! grep -q kept '$T/mallory.out'"
node_start swe; _report $? "setup: SWE comes back"
ok "the queued message still reaches SWE" wait_until 10 count_is swe intel/m 1
for n in hq swe; do node_stop $n; _report $? "setup: $n stops cleanly"; done
ok "no sanitizer report in any node's log" no_sanitizer
done_testing
