#!/bin/sh
# Throwaway certificates for trying the TLS examples here (`fleet-station profile check profiles/examples/...`) and
# for a test broker: a CA, a broker certificate, a client and an observer certificate signed by it, and a second,
# unrelated CA for the negative check. They are made fresh on this machine, into certs/ next to this script (which
# git ignores); no private key ships with the project. NEVER use them on a production line.
set -eu
cd "$(dirname "$0")"
mkdir -p certs
cd certs
umask 077

ec() { printf '%s\n' -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes; }

ca() { # name
  openssl req -x509 $(ec) -keyout "$1.key" -out "$1.pem" -days 365 -subj "/CN=Fleet Station example $1" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}

leaf() { # name extensions
  printf '%s\n' "$2" > "$1.ext"
  openssl req $(ec) -keyout "$1.key" -out "$1.csr" -subj "/CN=$1" 2>/dev/null
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 365 -out "$1.pem" \
    -extfile "$1.ext" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

ca ca
ca wrong-ca
leaf broker 'subjectAltName=DNS:mqtt.factory.example,DNS:broker.example.com,DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth'
leaf client 'extendedKeyUsage=clientAuth'
leaf observer 'extendedKeyUsage=clientAuth'
rm -f ca.srl wrong-ca.key
chmod 644 ./*.pem
echo "certificates in $(pwd): ca.pem broker.pem/.key client.pem/.key observer.pem/.key wrong-ca.pem"
