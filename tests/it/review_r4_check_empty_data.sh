#!/usr/bin/env bash
# review_r4_check_empty_data.sh -- (review r4) serve --check passes a
# config that serve refuses: `data =` (empty) is accepted by the parser
# (src/cli/cmd_serve.c keeps "" as the data directory), --check prints
# "configuration valid" with "principals = /principals.json" and exits 0,
# while serve with the same config exits with ": No such file or
# directory".  Expected: the empty value is refused (or means the default)
# the same way by both, and --check never passes what serve refuses.
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh
it_tmp
T=$IT_TMP
PNA=$(cd "$(dirname "$PN")" && pwd)/$(basename "$PN")
printf 'data =\nmqtt = off\nhttp = off\n' >"$T/n.conf"
chk=$(cd "$T" && "$PNA" serve --check --config n.conf 2>&1)
crc=$?
run=$(cd "$T" && timeout 5 "$PNA" serve --config n.conf 2>&1)
rrc=$?
# --check and serve agree: both refuse, or serve starts (timeout 124)
agree=1
if [ "$crc" = 0 ] && [ "$rrc" != 124 ]; then agree=0; fi
_report $((1 - agree)) "serve --check does not pass a config serve refuses" \
    "check rc=$crc ($(tail -1 <<<"$chk")); serve rc=$rrc ($(tail -1 <<<"$run"))"
_report $(grep -q '^principals = /principals.json' <<<"$chk" && echo 1 || echo 0) \
    "an empty data directory does not put the principals file at /principals.json" \
    "$(grep '^principals' <<<"$chk")"
done_testing
