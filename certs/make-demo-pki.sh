#!/usr/bin/env bash
# make-demo-pki.sh - a throwaway PKI for the demo and the tests.
#
#   [ORIGINS="longan cantho ..."] certs/make-demo-pki.sh [OUTDIR [CA_NAME]]
#
# OUTDIR defaults to certs/demo (git-ignored); CA_NAME to "fsbridge demo
# exchange CA" (tests make a second, untrusted PKI under another name);
# ORIGINS, the provinces certified, to "longan cantho angiang" (any list
# of origin slugs, [a-z0-9-]{1,32}, separated by spaces).
#
# Makes, with the openssl command line, all EC P-256 / SHA-256:
#   ca.crt ca.key ca.crl          the exchange CA (valid 2020-2045) and its CRL
#   {origin}.crt                  for each of ORIGINS, a signing certificate
#                                 naming it (subject CN and DNS SAN), with the
#                                 fsbridge signing extended key usage and no other
#   broker.crt                    TLS server certificate for the exchange
#                                 broker (localhost, 127.0.0.1, ::1)
#   {origin}-client.crt           TLS client certificates, CN = origin
#                                 (clientAuth only: never a message signer)
#   bridge-client.crt             TLS client certificate of a federating
#                                 Mosquitto bridge, CN = mosquitto-bridge
#                                 (config/mosquitto/bridge.conf)
#   longan-revoked.crt            a signing certificate for longan, valid from
#                                 2024, revoked (now) in ca.crl
#   cantho-expired.crt            a signing certificate for cantho valid only
#                                 during 2020
#   longan-noeku.crt              a certificate for longan without any
#                                 extended key usage (refused as a signer)
#   angiang-spare.crt             a second signing certificate for angiang,
#                                 for tests that revoke it while nodes run
# each with its .key (mode 0600). ca.db/ keeps the CA's database, so that
# `openssl ca -config DIR/ca.db/openssl.cnf -revoke X.crt` and `-gencrl`
# make a newer CRL (its CRL number one higher). Nothing here is for
# production: a real exchange CA keeps its key offline.
set -euo pipefail

out=${1:-"$(cd "$(dirname "$0")" && pwd)/demo"}
ca_name=${2:-fsbridge demo exchange CA}
origins=${ORIGINS:-longan cantho angiang}
for origin in $origins; do
	if ! [[ $origin =~ ^[a-z0-9-]{1,32}$ ]]; then
		echo "make-demo-pki.sh: ORIGINS: \"$origin\" is not an origin ([a-z0-9-], 1 to 32 characters)" >&2
		exit 2
	fi
done
umask 077
rm -rf "$out"
mkdir -p "$out/ca.db/new"
out=$(cd "$out" && pwd) # the CA database names its files absolutely
touch "$out/ca.db/index.txt"
echo 1000 >"$out/ca.db/serial"
echo 1000 >"$out/ca.db/crlnumber"

cat >"$out/ca.db/openssl.cnf" <<CNF
[ ca ]
default_ca = exchange
[ exchange ]
dir = $out/ca.db
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
crlnumber = \$dir/crlnumber
certificate = $out/ca.crt
private_key = $out/ca.key
default_md = sha256
default_days = 825
default_crl_days = 3650
policy = any
unique_subject = no
email_in_dn = no
[ any ]
commonName = supplied
organizationName = optional
organizationalUnitName = optional
countryName = optional
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ v3_ca ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
CNF

cnf="$out/ca.db/openssl.cnf"
ossl() { openssl "$@" 2>"$out/ca.db/last.log" || { cat "$out/ca.db/last.log" >&2; exit 1; }; }

newkey() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/$1.key"; }

# issue NAME CN EXTENSIONS [openssl ca date options]
issue() {
	local name=$1 cn=$2 ext=$3
	shift 3
	newkey "$name"
	ossl req -new -config "$cnf" -key "$out/$name.key" -subj "/C=VN/O=fsbridge demo/CN=$cn" \
		-out "$out/ca.db/$name.csr"
	printf '[ ext ]\n%s\n' "$ext" >"$out/ca.db/$name.ext"
	ossl ca -batch -config "$cnf" -notext -in "$out/ca.db/$name.csr" -out "$out/$name.crt" \
		-extfile "$out/ca.db/$name.ext" -extensions ext "$@"
}

newkey ca
ossl req -new -config "$cnf" -key "$out/ca.key" \
	-subj "/C=VN/O=fsbridge demo/CN=$ca_name" -out "$out/ca.db/ca.csr"
ossl ca -batch -selfsign -config "$cnf" -notext -keyfile "$out/ca.key" -in "$out/ca.db/ca.csr" \
	-out "$out/ca.crt" -extensions v3_ca -startdate 20200101000000Z -enddate 20450101000000Z

# The fsbridge signing purpose (PROTOCOL.md, "Signing certificates").
eku_signing=2.25.46624013109510508096371682865823794733.1
signing="basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, $eku_signing"
for origin in $origins; do
	issue "$origin" "$origin" "$signing
subjectAltName = DNS:$origin"
	issue "$origin-client" "$origin" "basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth"
done
issue bridge-client mosquitto-bridge "basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth"
issue broker localhost "basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1"

issue longan-revoked longan "$signing
subjectAltName = DNS:longan" -startdate 20240101000000Z
ossl ca -config "$cnf" -revoke "$out/longan-revoked.crt" -crl_reason keyCompromise
issue cantho-expired cantho "$signing
subjectAltName = DNS:cantho" -startdate 20200101000000Z -enddate 20201231235959Z
issue longan-noeku longan "basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation
subjectAltName = DNS:longan"
issue angiang-spare angiang "$signing
subjectAltName = DNS:angiang"

ossl ca -gencrl -config "$cnf" -out "$out/ca.crl"
chmod 600 "$out"/*.key
chmod 644 "$out"/*.crt "$out"/ca.crl
echo "demo PKI in $out"
