#!/usr/bin/env bash
# serve_conf.sh -- `partnernet serve` configuration that cannot silently go
# wrong: unknown keys named with file, line and the nearest known
# key; a missing principals file refused; `off` and empty both turn any
# listener off; `serve --check` validates without starting the node; the
# diagnostics level (log_level, --log-level) is checked and shown.
. "$(dirname "$0")/../lib.sh"

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf '{"principals": []}\n' >"$dir/none.json"
conf() { printf '%s\n' "$@" >"$dir/c.conf"; }

# 1. unknown keys
conf "data = $dir/var" "max_queud = 5"
expect_err "unknown key: file, line, nearest known key" 2 \
    "$dir/c.conf:2: unknown setting 'max_queud' (did you mean 'max_queued'?)" \
    "$PN" serve --config "$dir/c.conf"
conf "frobnicate = yes"
expect_err "unknown key far from any: no suggestion" 2 "$dir/c.conf:1: unknown setting 'frobnicate'" \
    "$PN" serve --config "$dir/c.conf"
ok "far key: no did-you-mean" bash -c "! '$PN' serve --config '$dir/c.conf' 2>&1 | grep -q 'did you mean'"
conf "max_queued = lots"
expect_err "known numeric key, non-number: its own message" 2 "$dir/c.conf:1: 'max_queued' needs a number" \
    "$PN" serve --config "$dir/c.conf"
conf "max_qos = 3"
expect_err "known key out of range: its range, not 'unknown setting'" 2 \
    "$dir/c.conf:1: 'max_qos' is out of range (0 to 2)" "$PN" serve --config "$dir/c.conf"
conf "[peer hq]" "adress = 127.0.0.1:1"
expect_err "unknown [peer] key: nearest known key" 2 \
    "$dir/c.conf:2: unknown [peer] setting 'adress' (did you mean 'address'?)" \
    "$PN" serve --config "$dir/c.conf"

# 2. principals file
expect_err "missing --principals file refused" 2 "principals file '/nonexistent/p.json' does not exist" \
    timeout 10 "$PN" serve --data "$dir/var" --principals /nonexistent/p.json --mqtt off --http off
conf "principals = $dir/missing.json" "mqtt = off" "http = off" "data = $dir/var"
expect_err "missing principals = file refused" 2 "principals file '$dir/missing.json' does not exist" \
    timeout 10 "$PN" serve --config "$dir/c.conf"

# 3. one spelling to turn a listener off
for v in off ""; do
    conf "data = $dir/var" "principals = $dir/none.json" "mqtt = $v" "mqtts = $v" "http = $v" "https = $v"
    expect_has "all listeners '$v' in the config: node starts with none" \
        "ready: mqtt off, mqtts off, http off, https off" \
        timeout --preserve-status 2 "$PN" serve --config "$dir/c.conf"
done
expect_has "--mqtt off flag" "ready: mqtt off, mqtts off, http off, https off" \
    timeout --preserve-status 2 "$PN" serve --data "$dir/var" --principals "$dir/none.json" \
    --mqtt off --mqtts off --http off --https off
expect_has "a deliberately empty principals file: loud warning in the ready line" \
    "ready: .*WARNING: no principals" \
    timeout --preserve-status 2 "$PN" serve --data "$dir/var" --principals "$dir/none.json" \
    --mqtt off --http off

# 5. serve --check
conf "data = $dir/var" "principals = $dir/none.json" "mqtt = 127.0.0.1:1" "http = off" "max_queued = 7"
expect_has "--check: valid config prints the effective settings" "max_queued = 7" \
    timeout 10 "$PN" serve --check --config "$dir/c.conf"
expect_has "--check: listener shown" "mqtt = 127.0.0.1:1" \
    timeout 10 "$PN" serve --check --config "$dir/c.conf"
conf "data = $dir/var" "principals = $dir/none.json" "mqtt = nowhere"
expect_err "--check: bad listener exits 2" 2 "address 'nowhere'" \
    timeout 10 "$PN" serve --check --config "$dir/c.conf"
conf "data = $dir/var" "principals = $dir/none.json" "tls_cert = $dir/nocert.pem" "tls_key = $dir/nokey.pem"
expect_err "--check: unreadable certificate exits 2" 2 "$dir/nocert.pem" \
    timeout 10 "$PN" serve --check --config "$dir/c.conf"
conf "data = $dir/none.json/var" "principals = $dir/none.json"
expect_err "--check: data directory cannot be created exits 2" 2 "data directory '$dir/none.json/var' cannot be created" \
    timeout 10 "$PN" serve --check --config "$dir/c.conf"
conf "principals = $dir/missing.json"
expect_err "--check: missing principals exits 2" 2 "does not exist" \
    timeout 10 "$PN" serve --check --config "$dir/c.conf"
expect_has "--check accepts partnernet.conf.example" "configuration valid" \
    "$PN" serve --check --config partnernet.conf.example --data "$dir/ex" --principals "$dir/none.json"
printf 'x\n' >"$dir/pw"
conf "data = $dir/var" "principals = $dir/none.json" "[peer hq]" "address = 127.0.0.1:1" \
    "principal = swe-node" "password_file = $dir/pw" "topics = intel/#"
expect_err "--check: a peer without its principal exits 2" 2 "peer hq: no principal standing for it" \
    "$PN" serve --check --config "$dir/c.conf"
conf "data = $dir/var" "principals = $dir/none.json" "[peer hq]" "address = 127.0.0.1:1" \
    "principal = swe-node" "password_file = $dir/nopw" "topics = intel/#"
expect_err "--check: a peer's unreadable password file exits 2" 2 "password_file '$dir/nopw'" \
    "$PN" serve --check --config "$dir/c.conf"
for k in 1 2; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/k$k.pem" \
        -out "$dir/c$k.pem" -subj "/CN=node$k" -days 2 >/dev/null 2>&1
done
conf "data = $dir/var" "principals = $dir/none.json" "mqtts = 127.0.0.1:1" "http = off" \
    "tls_cert = $dir/c1.pem" "tls_key = $dir/k1.pem" "require_client_cert = no"
expect_has "--check: certificate and its key" "mqtts = 127.0.0.1:1" \
    "$PN" serve --check --config "$dir/c.conf"
conf "data = $dir/var" "principals = $dir/none.json" "mqtts = 127.0.0.1:1" "http = off" \
    "tls_cert = $dir/c1.pem" "tls_key = $dir/k2.pem" "require_client_cert = no"
expect_rc "--check: a key that does not match the certificate exits 2" 2 \
    "$PN" serve --check --config "$dir/c.conf"
conf "data = $dir/var" "principals = $dir/none.json" "mqtts = 127.0.0.1:1" "http = off" \
    "tls_cert = $dir/c1.pem" "tls_key = $dir/k1.pem"
expect_err "--check: client certificates required without tls_ca exits 2" 2 "no tls_ca was given" \
    "$PN" serve --check --config "$dir/c.conf"
conf "data = $dir/fresh" "principals = $dir/none.json"
ok "--check creates nothing" bash -c "'$PN' serve --check --config '$dir/c.conf' >/dev/null && [ ! -e '$dir/fresh' ]"

# trusted keys ([trust] keys = FILE, docs/signatures.md)
conf "[trust]" "key = $dir/t.keys"
expect_err "[trust] takes only keys" 2 "$dir/c.conf:2: [trust] takes only 'keys = FILE'" \
    "$PN" serve --config "$dir/c.conf"
printf 'hq notakey\n' >"$dir/t.keys"
conf "data = $dir/var" "principals = $dir/none.json" "http = off" "[trust]" "keys = $dir/t.keys"
expect_err "--check: a trust file that does not parse exits 2 with file and line" 2 \
    "$dir/t.keys:1: the key is not base64" "$PN" serve --check --config "$dir/c.conf"
expect_err "serve: the same refusal" 2 "$dir/t.keys:1: the key is not base64" \
    "$PN" serve --config "$dir/c.conf" --mqtt 127.0.0.1:0
: >"$dir/empty.keys"
conf "data = $dir/var" "principals = $dir/none.json" "http = off" "[trust]" "keys = $dir/empty.keys"
expect_has "--check shows the trusted keys file" "keys = $dir/empty.keys" "$PN" serve --check --config "$dir/c.conf"
conf "data = $dir/var" "principals = $dir/none.json" "http = off" "[trust]" "keys = $dir/absent.keys"
expect_err "--check: a missing trust file exits 2" 2 "absent.keys" "$PN" serve --check --config "$dir/c.conf"
# 6. the diagnostics level
expect_err "--log-level: an unknown level is refused, the valid ones named" 2 \
    "log level 'loud' is not one of error, warning, info, debug" \
    "$PN" serve --check --log-level loud --data "$dir/var" --principals "$dir/none.json"
conf "data = $dir/var" "principals = $dir/none.json" "log_level = verbose"
expect_err "log_level: an unknown level in the file is refused" 2 \
    "log level 'verbose' is not one of error, warning, info, debug" \
    "$PN" serve --check --config "$dir/c.conf"
conf "data = $dir/var" "principals = $dir/none.json" "log_level = warning"
expect_has "--check shows log_level from the file" "^log_level = warning$" \
    "$PN" serve --check --config "$dir/c.conf"
expect_has "--log-level overrides the file" "^log_level = debug$" \
    "$PN" serve --check --config "$dir/c.conf" --log-level debug
expect_has "--check shows the default level" "^log_level = info$" \
    "$PN" serve --check --data "$dir/var" --principals "$dir/none.json"

ok "no sanitizer report" no_sanitizer_report
done_testing
