#!/usr/bin/env bash
# harden_audit.sh -- the audit store does not amplify traffic to disk
# (issue 10, item 12): 20,000 refused QoS 1 publishes from one principal
# make a bounded number of audit rows whose counts sum to 20,000; the
# audit_* settings are checked when the config is read.
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh
. tests/it/lib/http.sh

it_need curl python3 mosquitto_pub sqlite3 || exit

it_tmp
T=$IT_TMP
D=$T/a
mkdir -p "$D"
P=$D/principals.json
principal opusa USA CTS --caveat ATOMAL --role operator
principal swe SWE NS
printf '[node]\naudit_burst = 50\n' >"$T/a.conf"

srv_start "$D" --config "$T/a.conf" --mqtt 127.0.0.1:@PORT@ --http 127.0.0.1:@HTTPPORT@ --node it-a
_report $? "node starts with audit_burst = 50" "$(cat "$SRV_LOG")"
U=http://127.0.0.1:$HTTPPORT

N=20000
# One connection, QoS 1 (each publish waits for its refusing PUBACK), labelled
# above SWE's clearance.
timeout 300 mosquitto_pub -h 127.0.0.1 -p "$PORT" -u swe -P pw-swe -V mqttv5 -q 1 --repeat $N \
    -t ops/flood -D PUBLISH user-property label 'COSMIC TOP SECRET ATOMAL' -m x >"$T/pub.out" 2>&1
rows() { sqlite3 "$D/audit.db" "SELECT $1 FROM audit WHERE kind = 'publish_refused' AND principal = 'swe'"; }
# The counts reach the store at the node's next flush (each loop turn).
wait_until 10 bash -c "[ \"\$(sqlite3 '$D/audit.db' \"SELECT sum(count) FROM audit WHERE kind = 'publish_refused'\")\" = $N ]"
ok "the counts of the refusal rows sum to $N" test "$(rows 'sum(count)')" = "$N"
n=$(rows 'count(*)')
# 50 one by one per minute, then one row per minute for the same key; the
# flood may straddle minute boundaries (a slow machine takes more than one),
# each minute it touched bounded the same way.
m=$(rows 'count(DISTINCT time / 60)')
ok "at most 51 rows a minute for them ($n rows in $m minutes): 50 one by one, then one aggregated row" \
    test "$n" -le $((51 * m)) -a "$m" -ge 1 -a "$n" -ge 51
ok "the aggregated row keeps principal, reason, topic and label" bash -c \
    "sqlite3 '$D/audit.db' \"SELECT principal, reason, topic, label FROM audit WHERE count > 1\" | grep -qx 'swe|clearance|ops/flood|COSMIC TOP SECRET ATOMAL'"
TUSA=$(token opusa)
expect_http "GET /v1/audit shows the count (USA CTS ATOMAL operator)" 200 \
    "sum(e['count'] for e in d['events'] if e['kind'] == 'publish_refused') == $N and max(e['count'] for e in d['events']) > 1" \
    -- -H "$(A "$TUSA")" "$U/v1/audit?limit=10000"
ok "partnernet audit: the aggregated row ends with its count" bash -c \
    "'$PN' audit --data '$D' | grep -E 'publish_refused +swe .*ops/flood +clearance +COSMIC TOP SECRET ATOMAL \\(x[0-9]+\\)\$'"
ok "the node is still up" srv_alive

echo "# retention and size, applied by the running node"
srv_stop
ok "the node stops cleanly" test $? -eq 0
now=$(date +%s)
# 100 rows from 2020 and 4 MB of recent rows, written behind the node's back.
sqlite3 "$D/audit.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
  INSERT INTO audit(time, kind, principal, reason, detail) SELECT 1580000000 + i, 'released', 'old', '', 'x' FROM n;
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 8000)
  INSERT INTO audit(time, kind, principal, reason, detail) SELECT $now - 8000 + i, 'released', 'filler', '', hex(randomblob(240)) FROM n;"
before=$(sqlite3 "$D/audit.db" "SELECT count(*) FROM audit")
printf '[node]\naudit_burst = 50\naudit_retention_days = 30\naudit_max_mb = 1\n' >"$T/a.conf"
srv_restart
_report $? "the node starts again with audit_retention_days = 30, audit_max_mb = 1"
drops() { sqlite3 "$D/audit.db" "SELECT reason, count FROM audit WHERE kind = 'audit_dropped' ORDER BY id"; }
wait_until 15 bash -c "sqlite3 '$D/audit.db' \"SELECT 1 FROM audit WHERE kind = 'audit_dropped' AND reason = 'size'\" | grep -q 1"
ok "retention: one audit_dropped row counting the 100 old rows" bash -c "[ \"\$(sqlite3 '$D/audit.db' \"SELECT count FROM audit WHERE kind = 'audit_dropped' AND reason = 'retention'\")\" = 100 ]"
ok "no row older than 30 days is left" test "$(sqlite3 "$D/audit.db" "SELECT count(*) FROM audit WHERE time < $now - 30 * 86400")" = 0
used=$(sqlite3 "$D/audit.db" "SELECT (page_count - freelist_count) * page_size FROM pragma_page_count, pragma_freelist_count, pragma_page_size")
ok "size: the pages in use are under 1 MB ($used bytes)" test "$used" -le $((1 << 20))
after=$(sqlite3 "$D/audit.db" "SELECT count(*) FROM audit WHERE kind != 'audit_dropped'")
sized=$(sqlite3 "$D/audit.db" "SELECT count FROM audit WHERE kind = 'audit_dropped' AND reason = 'size'")
ok "size: the audit_dropped row counts exactly the rows removed ($before - 100 - $sized = $after)" \
    test $((before - 100 - sized)) -eq "$after"
ok "the newest filler rows are the ones kept" test "$(sqlite3 "$D/audit.db" "SELECT max(time) FROM audit WHERE principal = 'filler'")" = "$now"

echo "# audit_* settings"
for bad in 'audit_burst = 0' 'audit_max_mb = x' 'audit_retention_days = 0'; do
    printf '[node]\n%s\n' "$bad" >"$T/bad.conf"
    expect_err "config '$bad': exit 2 with the line" 2 "bad.conf:2:" \
        "$PN" serve --config "$T/bad.conf" --data "$T/nodata" --mqtt 127.0.0.1:0
done
ok "no sanitizer report in the node's log" srv_clean_log
done_testing
