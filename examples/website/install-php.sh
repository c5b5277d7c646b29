#!/usr/bin/env bash
# Installs what the sample shop's website scripts need (PHP's CLI with its built-in web server,
# SQLite and SimpleXML), if missing. Used by `make demo-website`, `make test` and .ci/run.
set -euo pipefail
need=()
command -v php >/dev/null || need+=(php8.2-cli)
if command -v php >/dev/null; then
  # The module list is read whole: `php -m | grep -q` under pipefail fails at random when grep
  # stops reading before php has written everything (SIGPIPE), which once failed CI.
  modules=$(php -m)
  grep -x pdo_sqlite <<<"$modules" >/dev/null || need+=(php8.2-sqlite3)
  grep -x SimpleXML <<<"$modules" >/dev/null || need+=(php8.2-xml)
else
  need+=(php8.2-sqlite3 php8.2-xml)
fi
if [ ${#need[@]} -gt 0 ]; then
  bash "$(dirname "$0")/../../.ci/apt-install.sh" "${need[@]}"
fi
