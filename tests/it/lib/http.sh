# shellcheck shell=bash
# http.sh -- principals, tokens and curl helpers for the HTTP API tests
# (tests/it/http.sh, tests/it/http_plan.sh).  Sourced after tests/lib.sh;
# $T must name a scratch directory, $D the node's data directory and $P its
# principals file.
#
#   principal NAME NATION CLEARANCE [ARG...]
#                                `principal add` to $P, password pw-NAME
#   token NAME                   a new bearer token of NAME in $D
#   hc ARG...                    curl, body to $T/body, headers to $T/head;
#                                prints the status
#   expect_http WHAT STATUS [EXPR] -- CURL-ARG...
#                                the status, and the Python expression EXPR
#                                true of the JSON body `d` (and headers `h`)
#   A TOKEN                      the Authorization header line
#   $ERR                         'd["error"]["code"] == ' for EXPR

principal() { # NAME NATION CLEARANCE [ARG...]: password pw-NAME
    local n=$1 nat=$2 cl=$3
    shift 3
    echo "pw-$n" | "$PN" principal add "$n" --nation "$nat" --clearance "$cl" --password-stdin --principals "$P" "$@" >/dev/null
}
token() { "$PN" token create --principal "$1" --data "$D" 2>/dev/null; }

# hc ARG...: curl, body to $T/body, headers to $T/head; prints the status.
hc() { curl -s -o "$T/body" -D "$T/head" -w '%{http_code}' "$@"; }
# expect_http WHAT STATUS [EXPR] -- CURL-ARG...: the status, and the Python
# expression EXPR true of the JSON body `d` (and headers `h`).
expect_http() {
    local what=$1 want=$2 expr=True got
    shift 2
    if [ "$1" != -- ]; then expr=$1; shift; fi
    shift
    got=$(hc "$@")
    if [ "$got" != "$want" ]; then
        _report 1 "$what" "status $got, want $want: $(head -c 400 "$T/body")"
        return
    fi
    python3 - "$T/body" "$T/head" "$expr" <<'PY'
import json, sys
raw = open(sys.argv[1], 'rb').read()
h = open(sys.argv[2]).read().lower()
try:
    d = json.loads(raw)
except ValueError:
    d = raw.decode('utf-8', 'replace')
sys.exit(0 if eval(sys.argv[3]) else 1)
PY
    _report $? "$what" "$(head -c 600 "$T/body")"
}
A() { echo "Authorization: Bearer $1"; }
# shellcheck disable=SC2034 # for the caller
ERR='d["error"]["code"] == '
