#!/usr/bin/env bash
# Installs Stoplight Prism (pinned by package.json / package-lock.json beside this script) into
# ${WHARF_PEERS:-<repo>/target/peers}/prism with `npm ci`. Idempotent: does nothing when the
# installed tree was made from the same lock file.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../../.." && pwd)"
peers="${WHARF_PEERS:-$repo_root/target/peers}"
dest="$peers/prism"
stamp="$dest/.installed-lock.sha256"
want="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"

if [ -x "$dest/node_modules/.bin/prism" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "prism already installed in $dest"
  exit 0
fi
command -v npm >/dev/null || { echo "npm is missing: install Node.js 20 (Debian: apt-get install nodejs npm)" >&2; exit 1; }

mkdir -p "$dest"
cp "$here/package.json" "$here/package-lock.json" "$dest/"
# No analytics calls from a test machine.
(cd "$dest" && SCARF_ANALYTICS=false npm ci --no-audit --no-fund --loglevel=error)
echo "$want" > "$stamp"
echo "prism installed in $dest ($("$dest/node_modules/.bin/prism" --version))"
