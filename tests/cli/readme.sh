#!/usr/bin/env bash
# readme.sh -- what README.md shows is what the program does: the `--help`
# text, the ready line of the `serve` example (run here as the README runs
# it, on free ports), and the Debian package lists next to what
# scripts/deps.sh installs.
source "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh
dir=$(mktemp -d)
srv=
trap '[ -n "$srv" ] && kill "$srv" 2>/dev/null; rm -rf "$dir"' EXIT

# 1. `partnernet --help` as the README prints it.
sed -n '/^\$ \.\/partnernet --help$/,/^\$ /p' README.md | sed '1d;$d' >"$dir/help.readme"
"$PN" --help >"$dir/help.real"
ok "README's --help block is the program's --help" diff "$dir/help.readme" "$dir/help.real"

# 2. The serve example: same principals, its ready line (ports and data
# directory aside, which the README gives as the defaults).
readme_ready=$(grep -m1 -E '^partnernet: node .* ready: ' README.md)
ok "README's serve example shows a ready line" test -n "$readme_ready"
mkdir -p "$dir/var"
echo 's3cret' | "$PN" principal add alice --nation SWE --clearance NS --password-stdin --principals "$dir/var/principals.json" >/dev/null
echo 'pw-ukr' | "$PN" principal add bohdan --nation UKR --clearance NC --coi EX-NORDIC-RESPONSE --password-stdin \
    --principals "$dir/var/principals.json" >/dev/null
: >"$dir/serve.out"
"$PN" serve --data "$dir/var" --mqtt "127.0.0.1:$(free_port)" --http "127.0.0.1:$(free_port)" >"$dir/serve.out" 2>&1 &
srv=$!
wait_ready "$srv" "$dir/serve.out"
norm() { sed -E -e 's/127\.0\.0\.1:[0-9]+/127.0.0.1:PORT/g' -e 's/, data [^,]*,/, data DIR,/'; }
want=$(grep -m1 ' ready: ' "$dir/serve.out" | norm)
expect_out "the ready line is the one the node prints (ports, data aside)" "$want" \
    echo "$(norm <<<"$readme_ready")"
kill -TERM "$srv"
wait "$srv"
ok "the node stops cleanly on SIGTERM" test $? -eq 0
srv=

# 3. Every Debian package scripts/deps.sh installs is named in README's
# package lists, and each of its targets has a list.
sed -n '/^Every compiling target first runs/,/^As root it installs/p' README.md >"$dir/lists"
missing=
for p in $(sed -n '/^build=(/,/^case /p' scripts/deps.sh | grep -v '^ *#' | grep -v '^case' |
    sed -E 's/^[a-z]+=\(//; s/\)//; s/"\$\{[a-z]+\[@\]\}"//g'); do
    grep -q -- "\b$p\b" "$dir/lists" || missing+=" $p"
done
ok "README names every package scripts/deps.sh installs" test -z "$missing"
[ -z "$missing" ] || echo "# not in README:$missing"
for t in $(sed -n -E 's/^([a-z]+)\) want=.*/\1/p' scripts/deps.sh); do
    expect_has "README has a package list for '$t'" "^- $t: " cat "$dir/lists"
done
# 4. The README stands on its own: no link out of the repository.
expect_no "no link to ../shared" '\]\(\.\./' cat README.md docs/ARCHITECTURE.md docs/benchmarks.md
ok "no sanitizer report" no_sanitizer_report
done_testing
