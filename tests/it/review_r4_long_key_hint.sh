#!/usr/bin/env bash
# review_r4_long_key_hint.sh -- (review r4) serve: an unknown config key of
# 192 characters or more is "corrected" to the first known key.
# editDistance (src/cli/cmd_serve.c) answers 64 for any key of 64
# characters or more, while unknownKey allows strlen(key)/3 edits: from 192
# characters on every known key is "close enough" and the first one wins
# ("did you mean 'name'?" for 200 z's).  Expected: no suggestion (cap the
# limit below the distance's ceiling, or skip suggestions for long keys).
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh
it_tmp
T=$IT_TMP
key=$(printf 'z%.0s' $(seq 200))
printf '%s = 1\n' "$key" >"$T/n.conf"
out=$("$PN" serve --check --config "$T/n.conf" --data "$T/d" 2>&1)
rc=$?
_report $([ "$rc" = 2 ] && echo 0 || echo 1) "an unknown long key is refused (exit 2)" "rc=$rc"
_report $(grep -q "unknown setting '$key'" <<<"$out" && echo 0 || echo 1) \
    "the error names the unknown key" "$out"
_report $(grep -q 'did you mean' <<<"$out" && echo 1 || echo 0) \
    "no suggestion for a key nothing like any known one" "$(grep -o "did you mean.*" <<<"$out")"
# a short typo still gets its hint
printf 'max_conections = 5\n' >"$T/m.conf"
out=$("$PN" serve --check --config "$T/m.conf" --data "$T/d" 2>&1)
_report $(grep -q "did you mean 'max_connections'" <<<"$out" && echo 0 || echo 1) \
    "a short typo is still corrected" "$out"
done_testing
