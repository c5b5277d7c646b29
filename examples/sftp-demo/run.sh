#!/usr/bin/env bash
# `make demo-sftp`: seed workflow 1 (examples/sftp-to-sage.yaml) against a local OpenSSH server.
# Starts sshd (internal-sftp, chrooted) on 127.0.0.1, drops order files built from the Zynk
# fixtures into /download (one of them malformed), runs the workflow with the `wharf` binary and
# shows the report, the ledger and the server's folders. Needs root (it adds a local account
# for the SFTP user and a chroot under /srv); installs openssh-server if it is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

WHARF=${WHARF:-target/debug/wharf}
DEMO=$PWD/target/demo-sftp
ROOT=/srv/wharf-sftp-demo            # the chroot: root-owned at every level, as sshd requires
USER_NAME=wharf-sftp
export WHARF_DEMO_SFTP_PASSWORD=wharf-demo-password
FIXTURE="../shared/fixtures/zynk-samples/zynk-xml/Sales Order with Minimal Information.xml"
PRODUCTS="../shared/fixtures/zynk-samples/zynk-xml/Stationary & Computer Mart - Product Export.xml"

if [ ! -x /usr/sbin/sshd ]; then
  bash .ci/apt-install.sh openssh-server
fi
id "$USER_NAME" >/dev/null 2>&1 || useradd --no-create-home --shell /usr/sbin/nologin "$USER_NAME"
echo "$USER_NAME:$WHARF_DEMO_SFTP_PASSWORD" | chpasswd
mkdir -p /run/sshd

rm -rf "$DEMO" "$ROOT"
mkdir -p "$DEMO/data" "$ROOT"
chmod 755 "$ROOT"
for d in download download/processed upload; do mkdir -p "$ROOT/$d"; done
chown -R "$USER_NAME" "$ROOT/download" "$ROOT/upload"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ssh-keygen -q -t ed25519 -N '' -f "$DEMO/host_key"
read -r kind body _ < "$DEMO/host_key.pub"
echo "[127.0.0.1]:$PORT $kind $body" > "$DEMO/known_hosts"
cat > "$DEMO/sshd_config" <<CONF
Port $PORT
ListenAddress 127.0.0.1
HostKey $DEMO/host_key
PidFile $DEMO/sshd.pid
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
StrictModes no
LogLevel ERROR
Subsystem sftp internal-sftp
Match User $USER_NAME
  ChrootDirectory $ROOT
  ForceCommand internal-sftp
  AllowTcpForwarding no
CONF
/usr/sbin/sshd -t -f "$DEMO/sshd_config"
/usr/sbin/sshd -D -e -f "$DEMO/sshd_config" 2>"$DEMO/sshd.log" &
SSHD=$!
trap 'kill $SSHD 2>/dev/null || true' EXIT
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break; sleep 0.05; done

# The connection, defined outside the workflow; the password comes from the environment.
cat > "$DEMO/connections.yaml" <<CONF
sftp:
  shop:
    server: 127.0.0.1
    port: $PORT
    username: $USER_NAME
    password: { env: WHARF_DEMO_SFTP_PASSWORD }
    known-hosts: $DEMO/known_hosts
CONF

# Twenty orders from the fixture (each its own Id), and one that Sage must refuse.
for n in $(seq -w 1 20); do
  sed "s|<Id>12345</Id>|<Id>DEMO-$n</Id>|" "$FIXTURE" > "$ROOT/download/order-$n.xml"
done
sed -e "s|<Id>12345</Id>|<Id>DEMO-BAD</Id>|" -e "s|<QtyOrdered>1</QtyOrdered>|<QtyOrdered>two</QtyOrdered>|" \
  "$FIXTURE" > "$ROOT/download/order-bad.xml"
chown "$USER_NAME" "$ROOT"/download/*.xml

export WHARF_DATA=$DEMO/data WHARF_CONNECTIONS=$DEMO/connections.yaml
"$WHARF" sage create-company --name "Stationary & Computer Mart"
"$WHARF" sage load "$PRODUCTS"
"$WHARF" validate examples/sftp-to-sage.yaml
"$WHARF" run examples/sftp-to-sage.yaml

echo
echo "Sales orders in the ledger:"; "$WHARF" sage orders --limit 5
echo
echo "SFTP /download (files whose import failed stay):"; ls "$ROOT/download" | grep -v processed
echo "SFTP /download/processed:"; ls "$ROOT/download/processed" | head -5; echo "  … $(ls "$ROOT/download/processed" | wc -l) files"
echo "SFTP /upload:"; ls -l "$ROOT/upload"
echo "Archive:"; ls -l "$DEMO/data/sftp-to-sage/archive"
