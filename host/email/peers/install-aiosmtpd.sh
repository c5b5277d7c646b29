#!/usr/bin/env bash
# Installs aiosmtpd, the SMTP server the e-mail tests send to on 127.0.0.1, into a venv at
# ${WHARF_PEERS:-<repo>/target/peers}/aiosmtpd-venv. Idempotent: does nothing when it is there.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
peers="${WHARF_PEERS:-$repo_root/target/peers}"
venv="$peers/aiosmtpd-venv"
python="${PYTHON:-python3}"

if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
  echo "aiosmtpd already installed in $venv"
  exit 0
fi

mkdir -p "$peers"
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check 'aiosmtpd==1.4.6'
echo "aiosmtpd installed in $venv ($("$venv/bin/python" -c 'import aiosmtpd; print(aiosmtpd.__version__)'))"
