#!/usr/bin/env bash
# deb.sh -- `make deb`: a Debian package of a built partnernet.
#
#   [DEB_OUT=build] scripts/deb.sh BINARY
#
# Installs BINARY with scripts/install.sh (PREFIX=/usr) into a staging
# root, takes the package dependencies from the libraries the program links
# (dpkg-shlibdeps), and writes DEB_OUT/partnernet_VERSION_ARCH.deb with
# dpkg-deb.  The package's configuration, /etc/partnernet/partnernet.conf,
# is a conffile; the systemd unit is enabled and started on installation
# (where systemd runs) and stopped on removal.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 1 ] || { echo "usage: scripts/deb.sh BINARY" >&2; exit 2; }
bin=$(realpath "$1")
out=${DEB_OUT:-build}
version=$("$bin" --version | sed -n 's/^partnernet //p')
[ -n "$version" ] || { echo "deb.sh: '$1 --version' printed no version" >&2; exit 2; }
arch=$(dpkg --print-architecture)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root

PREFIX=/usr DESTDIR=$root scripts/install.sh "$bin" >/dev/null
install -m 644 packaging/debian/copyright "$root/usr/share/doc/partnernet/copyright"

# dpkg-shlibdeps wants to run beside a debian/control.
mkdir -p "$work/src/debian"
printf 'Source: partnernet\n\nPackage: partnernet\nArchitecture: any\n' >"$work/src/debian/control"
depends=$(cd "$work/src" && dpkg-shlibdeps -O "$root/usr/bin/partnernet" 2>/dev/null |
    sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "deb.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

mkdir -p "$root/DEBIAN"
cat >"$root/DEBIAN/control" <<CONTROL
Package: partnernet
Version: $version
Architecture: $arch
Maintainer: partnernet maintainers <partnernet@localhost>
Section: net
Priority: optional
Depends: $depends
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Description: labelled-information exchange node (MQTT 5, HTTP, federation)
 partnernet is a broker for allied and partner nations: every message
 carries a confidentiality label, and the node delivers it only to the
 principals whose nation, clearance and communities may hold it on that
 day.  MQTT 5 and 3.1.1, an HTTP API, federation between nodes, an audit
 trail, and a planning registry for cooperation activities and exercises.
CONTROL
echo /etc/partnernet/partnernet.conf >"$root/DEBIAN/conffiles"
cat >"$root/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
    if command -v systemd-sysusers >/dev/null; then
        systemd-sysusers partnernet.conf
    elif ! getent passwd partnernet >/dev/null; then
        adduser --system --group --home /var/lib/partnernet --no-create-home partnernet
    fi
fi
if [ "$1" = configure ] && [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    systemctl enable --now partnernet.service || true
fi
POSTINST
cat >"$root/DEBIAN/prerm" <<'PRERM'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
    systemctl stop partnernet.service || true
    [ "$1" = remove ] && systemctl disable partnernet.service || true
fi
PRERM
cat >"$root/DEBIAN/postrm" <<'POSTRM'
#!/bin/sh
set -e
[ -d /run/systemd/system ] && systemctl daemon-reload || true
POSTRM
chmod 755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm" "$root/DEBIAN/postrm"
mkdir -p "$out"
dpkg-deb --root-owner-group -Zxz --build "$root" "$out/partnernet_${version}_$arch.deb" >/dev/null
echo "$out/partnernet_${version}_$arch.deb"
