# shellcheck shell=bash
# certs.sh -- test certificates made with openssl (sourced).
#
#   certs_init DIR                 use DIR ($C) for keys and certificates
#   mkca NAME                      a self-signed CA: $C/NAME.{key,pem}
#   mkcert NAME SUBJECT EXT [CA]   a key and a certificate signed by CA
#                                  (default "ca") with extensions EXT
#
# Certificates carry the alpha-3 nation in C, which the default string
# table limits to two letters: ossl widens it for these runs of openssl only.

certs_init() {
    C=$1
    mkdir -p "$C"
    cat >"$C/openssl.cnf" <<'EOF'
openssl_conf = init
[init]
stbl_section = stbl
[stbl]
countryName = min:2,max:3,mask:PRINTABLESTRING
[req]
distinguished_name = dn
[dn]
EOF
}
ossl() { OPENSSL_CONF=$C/openssl.cnf openssl "$@"; }
mkca() { # NAME
    ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$C/$1.key" &&
        ossl req -x509 -new -key "$C/$1.key" -out "$C/$1.pem" -days 2 -subj "/CN=partnernet test $1" \
            -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}
mkcert() { # NAME SUBJECT EXTENSIONS [CA]
    local ca=${4:-ca}
    printf '%s\n' "$3" >"$C/$1.ext"
    ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$C/$1.key" &&
        ossl req -new -key "$C/$1.key" -subj "$2" -out "$C/$1.csr" &&
        ossl x509 -req -in "$C/$1.csr" -CA "$C/$ca.pem" -CAkey "$C/$ca.key" -CAcreateserial -days 2 \
            -extfile "$C/$1.ext" -out "$C/$1.pem"
}
