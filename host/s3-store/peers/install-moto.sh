#!/usr/bin/env bash
# Installs the moto S3 server the wharf-s3-store tests run against, into a venv at
# ${WHARF_PEERS:-<repo>/target/peers}/moto-venv. Idempotent: does nothing when it is already there.
# Only the s3/sqs extras (~140 MB) — the full `moto[server]` extra is ~760 MB.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
peers="${WHARF_PEERS:-$repo_root/target/peers}"
venv="$peers/moto-venv"
python="${PYTHON:-python3}"

if [ -x "$venv/bin/moto_server" ] && "$venv/bin/python" -c 'import moto, flask, flask_cors, boto3' 2>/dev/null; then
  echo "moto already installed in $venv"
  exit 0
fi

mkdir -p "$peers"
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check 'moto[s3,sqs]' flask flask-cors boto3
"$venv/bin/moto_server" --help >/dev/null
echo "moto installed in $venv ($("$venv/bin/python" -c 'import moto; print(moto.__version__)'))"
