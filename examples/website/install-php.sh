#!/usr/bin/env bash
# Installs what the sample shop's website scripts need (PHP's CLI with its built-in web server,
# SQLite and SimpleXML), if missing. Used by `make demo-website`, `make test` and .ci/run.
set -euo pipefail
need=()
command -v php >/dev/null || need+=(php8.2-cli)
if command -v php >/dev/null; then
  php -m | grep -qx pdo_sqlite || need+=(php8.2-sqlite3)
  php -m | grep -qx SimpleXML || need+=(php8.2-xml)
else
  need+=(php8.2-sqlite3 php8.2-xml)
fi
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
