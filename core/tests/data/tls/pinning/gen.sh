#!/usr/bin/env bash
# Regenerates the pinning handshake fixtures (test keys, never used anywhere else): a
# "site" CA and its localhost leaf (the pinned server), an "evil" CA and its localhost
# leaf (an attacker holding some publicly trusted certificate for the host).
set -euo pipefail
cd "$(dirname "$0")"
for who in site evil; do
  openssl ecparam -name prime256v1 -genkey -noout -out "$who-ca.pem"
  openssl req -x509 -new -key "$who-ca.pem" -subj "/CN=$who test CA" -days 36500 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
    -outform DER -out "$who-ca.der"
  openssl ecparam -name prime256v1 -genkey -noout -out "$who-leaf.pem"
  openssl req -new -key "$who-leaf.pem" -subj "/CN=localhost" -out "$who-leaf.csr"
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' > ext.cnf
  openssl x509 -req -in "$who-leaf.csr" -CA "$who-ca.der" -CAform DER -CAkey "$who-ca.pem" \
    -CAcreateserial -days 36500 -extfile ext.cnf -outform DER -out "$who-leaf.der"
  openssl pkcs8 -topk8 -nocrypt -in "$who-leaf.pem" -outform DER -out "$who-leaf.key.der"
  rm -f "$who-leaf.csr" "$who-leaf.pem" "$who-ca.pem" ext.cnf ./*.srl
done
