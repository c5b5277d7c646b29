#!/usr/bin/env bash
# Installs the toolchains the Python and JavaScript templates build with, pinned by the
# templates' own requirements.txt and package-lock.json, under ${WHARF_PEERS:-<repo>/target/peers}:
#   componentize-py-venv/bin/componentize-py        (PyPI)
#   componentize-js/node_modules (.bin/componentize-js, .bin/rolldown, fast-xml-parser)  (npm)
# A generated JavaScript project links its node_modules to the second (tests/all/templates.rs).
# Idempotent: each is reinstalled only when the pins it was installed from change.
set -euo pipefail

templates="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
peers="${WHARF_PEERS:-$(dirname "$templates")/target/peers}"
python="${PYTHON:-python3}"
mkdir -p "$peers"

# True when $1/.installed-from holds the checksum of the files that follow.
current() {
  local stamp="$1/.installed-from"
  shift
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(cat "$@" | sha256sum)" ]
}

stamp() {
  local dir="$1"
  shift
  cat "$@" | sha256sum >"$dir/.installed-from"
}

venv="$peers/componentize-py-venv"
pins="$templates/task-python/requirements.txt"
if current "$venv" "$pins" && [ -x "$venv/bin/componentize-py" ]; then
  echo "componentize-py already installed in $venv"
else
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$pins"
  stamp "$venv" "$pins"
  echo "componentize-py installed in $venv ($("$venv/bin/componentize-py" --version))"
fi

js="$peers/componentize-js"
if current "$js" "$templates/task-js/package.json" "$templates/task-js/package-lock.json" \
  && [ -x "$js/node_modules/.bin/componentize-js" ]; then
  echo "componentize-js already installed in $js"
else
  rm -rf "$js"
  mkdir -p "$js"
  cp "$templates/task-js/package.json" "$templates/task-js/package-lock.json" "$js/"
  (cd "$js" && npm ci --no-audit --no-fund --loglevel=error)
  stamp "$js" "$templates/task-js/package.json" "$templates/task-js/package-lock.json"
  echo "componentize-js installed in $js ($("$js/node_modules/.bin/componentize-js" --version))"
fi
