#!/usr/bin/env bash
# paths.sh -- one place for a node's paths: every admin command takes the
# data directory and principals file from --config FILE or
# $PARTNERNET_CONFIG ([node] data, principals), --data/--principals
# override; read-only commands on a missing data directory say "no node
# data in DIR", exit 2 and create nothing; writers create the directories
# they need.
. "$(dirname "$0")/../lib.sh"

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
node=$dir/node
conf=$dir/node.conf
printf '%s\n' "[node]" "name = pathnode" "" "data = $node" "principals = $node/people.json" >"$conf"
gone=$dir/nonexistent/dir

# ---- read-only commands on a missing data directory ------------------------
expect_err "plan activities on a missing data directory: exit 2" 2 "no node data in $gone" \
    "$PN" plan activities --data "$gone"
ok "... and nothing created" test ! -e "$dir/nonexistent"
expect_err "plan exercises on a missing data directory" 2 "no node data in $gone" \
    "$PN" plan exercises --data "$gone"
expect_err "plan gaps on a missing data directory" 2 "no node data in $gone" \
    "$PN" plan gaps --data "$gone"
expect_err "token list --data typo: exit 2" 2 "no node data in $gone" \
    "$PN" token list --data "$gone"
expect_err "token revoke on a missing data directory" 2 "no node data in $gone" \
    "$PN" token revoke 000000000000 --data "$gone"
expect_err "log list on a missing data directory" 2 "no node data in $gone" \
    "$PN" log list --data "$gone"
expect_err "peers on a missing data directory" 2 "no node data in $gone" \
    "$PN" peers --data "$gone"
expect_err "audit on a missing data directory" 2 "no node data in $gone" \
    "$PN" audit --data "$gone"
ok "still nothing created" test ! -e "$dir/nonexistent"
mkdir "$dir/empty"
expect_err "plan activities where the directory has no plan.db: exit 2" 2 \
    "no planning data in $dir/empty" "$PN" plan activities --data "$dir/empty"
ok "... and no plan.db created" test ! -e "$dir/empty/plan.db"

# ---- writers create the directories they need ------------------------------
expect_out "principal add --principals new/dir/principals.json" "added principal ann" \
    "$PN" principal add ann --nation SWE --clearance NS --no-credential \
    --principals "$dir/new/dir/principals.json"
ok "... created the directories and the file" test -f "$dir/new/dir/principals.json"
expect_has "token create --data into a new directory" '^[A-Za-z0-9_-]{20,}$' \
    "$PN" token create --principal ann --principals "$dir/new/dir/principals.json" \
    --data "$dir/tok/deep"
ok "... created DIR/tokens.json" test -f "$dir/tok/deep/tokens.json"

# ---- --config names the paths for every admin command ----------------------
expect_out "principal add --config: into the config's principals file" "added principal bo" \
    "$PN" principal add bo --nation SWE --clearance NS --no-credential --config "$conf"
ok "... which is [node] principals" test -f "$node/people.json"
expect_out "principal list via PARTNERNET_CONFIG" "bo SWE NS cois=- caveats=- auth=none" \
    env PARTNERNET_CONFIG="$conf" "$PN" principal list
expect_out "--principals overrides the config" "" \
    "$PN" principal list --config "$conf" --principals "$dir/other.json"
expect_has "token create --config: principal from the config's file" '^[A-Za-z0-9_-]{20,}$' \
    "$PN" token create --principal bo --config "$conf"
ok "... token file in the config's data directory" test -f "$node/tokens.json"
expect_has "token list --config=FILE" ' bo created=' "$PN" token list --config="$conf"
expect_has "token list via PARTNERNET_CONFIG" ' bo created=' \
    env PARTNERNET_CONFIG="$conf" "$PN" token list
expect_err "--data overrides the config (here: a missing directory)" 2 "no node data in $gone" \
    env PARTNERNET_CONFIG="$conf" "$PN" token list --data "$gone"
expect_has "plan import --config: into the config's data directory" 'imported [0-9]+ records? from' \
    "$PN" plan import data/sample/exercises.json --config "$conf"
ok "... plan.db in [node] data" test -f "$node/plan.db"
expect_has "plan exercises via PARTNERNET_CONFIG" 'SAMPLE-NORTH-26' \
    env PARTNERNET_CONFIG="$conf" "$PN" plan exercises
expect_err "audit --config: the config's data directory (no audit store yet)" 2 \
    "no audit store in $node" "$PN" audit --config "$conf"
expect_err "peers --config: the config's data directory" 2 "no status in $node/peers.json" \
    "$PN" peers --config "$conf"
expect_out "principal remove --config" "removed principal bo
revoked 1 token of bo in $node/tokens.json" "$PN" principal remove bo --config "$conf"
expect_has "serve --check takes PARTNERNET_CONFIG" "^data = $node\$" \
    env PARTNERNET_CONFIG="$conf" "$PN" serve --check --mqtt off --http off

# ---- config errors -----------------------------------------------------------
expect_err "an unreadable config file: exit 2" 2 "cannot read config file '$dir/none.conf'" \
    "$PN" token list --config "$dir/none.conf"
expect_err "an unreadable PARTNERNET_CONFIG: exit 2" 2 "cannot read config file '$dir/none.conf'" \
    env PARTNERNET_CONFIG="$dir/none.conf" "$PN" plan exercises
expect_err "--config without a value" 2 "option --config needs a value" "$PN" token list --config
printf '%s\n' "[node]" "" "; a comment" "" "max_queud = 5" >"$dir/blank.conf"
expect_err "line numbers count blank lines" 2 "$dir/blank.conf:5: unknown setting 'max_queud'" \
    "$PN" serve --check --config "$dir/blank.conf"
expect_has "--help names --config and PARTNERNET_CONFIG for the admin commands" \
    'take --config FILE \(or' "$PN" --help
expect_has "help pub documents the connection from the config" '\[client\] section' "$PN" help pub
done_testing
