#!/usr/bin/env bash
# package.sh -- what an operator installs: the man page generated from the
# help texts (`partnernet --man`), `scripts/install.sh` into a staging root
# (binary, registry, policy, example configuration, sample data, man page,
# hardened systemd unit) and the Debian package `scripts/deb.sh` builds,
# unpacked into a temporary root and run from there.
source "$(dirname "$0")/../lib.sh"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# 1. The man page: valid roff, and every command's help text is in it.
"$PN" --man >"$dir/partnernet.1" 2>"$dir/man.err"
ok "--man exits 0 and writes nothing on stderr" test ! -s "$dir/man.err" -a -s "$dir/partnernet.1"
expect_has "--man starts a section-1 page" '^\.TH PARTNERNET 1 ' head -n 5 "$dir/partnernet.1"
expect_out "groff reads the page without a warning" "" \
    groff -man -Tascii -ww -z "$dir/partnernet.1"
groff -man -Tascii -P-cbou "$dir/partnernet.1" 2>/dev/null | sed 's/^ *//' >"$dir/man.txt"
missing=
for cmd in $("$PN" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z]*\) .*/\1/p'); do
    while IFS= read -r line; do
        line=${line#"${line%%[! ]*}"}
        [ -z "$line" ] && continue
        grep -qxF -- "$line" "$dir/man.txt" || missing+="$cmd: '$line'"$'\n'
    done < <("$PN" help "$cmd")
done
ok "every line of every command's help is in the man page" test -z "$missing"
[ -z "$missing" ] || printf '# missing: %s\n' "$missing" | head -n 5
expect_has "the man page lists the exit statuses" '^EXIT STATUS' cat "$dir/man.txt"

# 2. scripts/install.sh into a staging root.
root=$dir/root
setup "install.sh PREFIX=/usr DESTDIR=root" env PREFIX=/usr DESTDIR="$root" scripts/install.sh "$PN"
for f in bin/partnernet share/partnernet/registry/nations.json share/partnernet/policy/nato-spif.xml \
    share/doc/partnernet/partnernet.conf.example share/partnernet/sample/exercises.json \
    share/man/man1/partnernet.1.gz lib/systemd/system/partnernet.service lib/sysusers.d/partnernet.conf; do
    ok "installed /usr/$f" test -s "$root/usr/$f"
done
ok "the example configuration is /etc/partnernet/partnernet.conf" test -s "$root/etc/partnernet/partnernet.conf"
for want in '^User=partnernet$' '^ProtectSystem=strict$' '^StateDirectory=partnernet$' \
    '^NoNewPrivileges=yes$' '^ExecReload=/bin/kill -HUP \$MAINPID$' \
    '^ExecStart=/usr/bin/partnernet serve --config /etc/partnernet/partnernet.conf'; do
    expect_has "the unit has $want" "$want" cat "$root/usr/lib/systemd/system/partnernet.service"
done
# systemd's own parser, with the program where this staging root has it.
sed "s|/usr/bin/partnernet|$root/usr/bin/partnernet|g" "$root/usr/lib/systemd/system/partnernet.service" \
    >"$dir/partnernet.service"
expect_out "systemd-analyze verify: no error, no warning" "" \
    systemd-analyze verify --man=no "$dir/partnernet.service"
expect_has "the man page is installed compressed and readable" '^\.TH PARTNERNET 1 ' \
    bash -c "gzip -dc '$root/usr/share/man/man1/partnernet.1.gz' | head -n 5"
# The installed program finds its registry and policy beside itself
# (PREFIX/share/partnernet), from a directory with no data/ of its own.
# The installed program finds its own registry (the tests' relative
# $PARTNERNET_REGISTRY would name nothing from /).
expect_has "the installed program runs from elsewhere" '^policy: NATO' \
    bash -c "cd / && env -u PARTNERNET_REGISTRY '$root/usr/bin/partnernet' demo"
sed -e "s|^data = .*|data = $dir/state|" -e "s|^principals = .*|principals = $dir/state/principals.json|" \
    "$root/etc/partnernet/partnernet.conf" >"$dir/node.conf"
mkdir -p "$dir/state"
echo '{"principals": []}' >"$dir/state/principals.json"
expect_has "serve --check accepts the installed configuration" '^; configuration valid' \
    bash -c "cd / && env -u PARTNERNET_REGISTRY '$root/usr/bin/partnernet' serve --check --config '$dir/node.conf'"

# 3. The Debian package, unpacked into a temporary root.
setup "deb.sh builds the package" env DEB_OUT="$dir/out" scripts/deb.sh "$PN"
deb=$(ls "$dir"/out/partnernet_*_amd64.deb 2>/dev/null | head -n 1)
ok "the package is named partnernet_VERSION_amd64.deb" test -n "$deb"
version=$("$PN" --version | sed 's/^partnernet //')
expect_has "its version is the program's" "^ Version: $version\$" dpkg-deb -I "$deb"
for lib in libjansson4 libuv1 libssl3 libsqlite3-0 libxml2 libhttp-parser2.9 libwslay1; do
    expect_has "Depends names $lib" "^ Depends: .*$lib" dpkg-deb -I "$deb"
done
expect_has "the copyright file is in the package" './usr/share/doc/partnernet/copyright$' dpkg-deb -c "$deb"
expect_has "the systemd unit is in the package" './usr/lib/systemd/system/partnernet.service$' dpkg-deb -c "$deb"
expect_has "/etc/partnernet/partnernet.conf is a conffile" '^/etc/partnernet/partnernet.conf$' \
    bash -c "dpkg-deb --ctrl-tarfile '$deb' | tar -xO ./conffiles"
mkdir -p "$dir/control"
dpkg-deb -e "$deb" "$dir/control"
for f in postinst prerm postrm; do
    ok "the $f script is valid shell and executable" bash -c "sh -n '$dir/control/$f' && test -x '$dir/control/$f'"
done
expect_has "postinst creates the service's user" 'systemd-sysusers partnernet.conf' cat "$dir/control/postinst"
setup "unpack the package into a temporary root" dpkg-deb -x "$deb" "$dir/deb"
expect_out "the unpacked program prints its version" "partnernet $version" \
    bash -c "cd / && '$dir/deb/usr/bin/partnernet' --version"
sed -e "s|^data = .*|data = $dir/state|" -e "s|^principals = .*|principals = $dir/state/principals.json|" \
    "$dir/deb/etc/partnernet/partnernet.conf" >"$dir/deb.conf"
expect_has "the unpacked program checks its configuration" '^; configuration valid' \
    bash -c "cd / && env -u PARTNERNET_REGISTRY '$dir/deb/usr/bin/partnernet' serve --check --config '$dir/deb.conf'"
ok "no sanitizer report" no_sanitizer_report
done_testing
