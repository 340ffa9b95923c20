#!/usr/bin/env bash
# demo-node.sh -- part of `make demo`: a live node.
#
# Starts a node on free loopback ports (scripts/demo-lib.sh) with its data
# in a temporary directory, adds two principals (a Swedish analyst, a
# Ukrainian liaison officer), subscribes as the Ukrainian with
# mosquitto_sub, publishes three reports as the Swede, and shows what was
# delivered and what was audited.
set -euo pipefail
cd "$(dirname "$0")/.."
pn=${PN:-./partnernet}
dir=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
. scripts/demo-lib.sh

echo
echo "== A live node: each report reaches only the people its label allows =="
echo 'analyst-pw' | "$pn" principal add sven --nation SWE --clearance NS --password-stdin --principals "$dir/principals.json" |
    sed 's/^added principal sven$/  sven: a Swedish analyst cleared NATO SECRET/'
echo 'liaison-pw' | "$pn" principal add olena --nation UKR --clearance NC --password-stdin --principals "$dir/principals.json" |
    sed 's/^added principal olena$/  olena: a Ukrainian liaison officer cleared NATO CONFIDENTIAL/'
demo_serve demo "$(printf '[node]\nname = demo\ndata = %s/data\nprincipals = %s/principals.json\nmqtt = 127.0.0.1:@MQTT@\nhttp = 127.0.0.1:@HTTP@\n' "$dir" "$dir")" >"$dir/ready"
sed 's/^/  /' "$dir/ready"
port=$MQTT_PORT
echo "  The node listens for MQTT on 127.0.0.1:$MQTT_PORT and HTTP on 127.0.0.1:$HTTP_PORT (free ports picked for this run)."

# olena (UKR) listens; she should get exactly one of the three reports.
mosquitto_sub -V mqttv5 -p "$port" -u olena -P liaison-pw -t 'intel/#' -C 1 -W 10 \
    -F '%t|%p|%P' >"$dir/sub.out" &
sub=$!
sleep 0.5
pub() {
    echo "  sven publishes \"$2\" marked: ${1:-(no marking)}"
    if [ -n "$1" ]; then
        mosquitto_pub -V mqttv5 -p "$port" -u sven -P analyst-pw -q 1 -t intel/report -m "$2" \
            -D publish user-property label "$1" 2>&1 | sed 's/^/    /'
    else
        mosquitto_pub -V mqttv5 -p "$port" -u sven -P analyst-pw -q 1 -t intel/report -m "$2" 2>&1 | sed 's/^/    /'
    fi
}
pub 'NATO SECRET REL TO NATO' 'allied eyes only'
pub 'NATO CONFIDENTIAL REL TO NATO, UKR' 'shared with Ukraine'
pub '' 'unlabelled'
wait "$sub" || true
# mosquitto_sub prints the user properties as "label:... id:... time:SECONDS".
while IFS='|' read -r topic payload props; do
    label=$(sed -E 's/^label:(.*) id:.*/\1/' <<<"$props")
    t=$(sed -nE 's/.* time:([0-9]+).*/\1/p' <<<"$props")
    echo "  olena received on $topic: \"$payload\", marked $label, at $(iso_time "$t")"
done <"$dir/sub.out"
echo "  olena did not receive \"allied eyes only\": NATO SECRET REL TO NATO is not releasable to"
echo "  Ukraine (and she is cleared to NATO CONFIDENTIAL only); the unmarked report was refused."
echo
echo "  audit trail:"
"$pn" audit --data "$dir/data" --since 1h | sed 's/^/  /'
