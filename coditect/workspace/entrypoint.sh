#!/bin/sh
# CODITECT workspace entrypoint (runs as root under init): host keys made once and kept in
# the volume, the deployment's public key authorized (no duplicates), the credential broker
# started, then sshd in the foreground.
set -eu

: "${CODITECT_API_URL:?CODITECT_API_URL must be set (the CODITECT Cloud API the workspace signs in to)}"
: "${SSH_PUBLIC_KEY:?SSH_PUBLIC_KEY must be set (the public key allowed to log in)}"
WORKSPACE_USER="${CODITECT_WORKSPACE_USER:-coditect}"
SSH_PORT="${SSH_PORT:-2222}"
SSH_LISTEN_ADDRESS="${SSH_LISTEN_ADDRESS:-0.0.0.0}"
CREDENTIAL_SOURCE="${CODITECT_CREDENTIAL_FILE:-/run/secrets/coditect_credential}"
STATE=/var/lib/coditect

umask 022
mkdir -p "$STATE/hostkeys" "$STATE/authorized_keys" /run/sshd /run/coditect /etc/coditect
chmod 0755 "$STATE" "$STATE/authorized_keys"
chmod 0700 "$STATE/hostkeys"

# Host keys: made on the first start only, so clients keep trusting the workspace.
if [ ! -s "$STATE/hostkeys/ssh_host_ed25519_key" ]; then
  ssh-keygen -q -t ed25519 -N '' -C "coditect-workspace" -f "$STATE/hostkeys/ssh_host_ed25519_key"
fi
echo "Host key: $(ssh-keygen -lf "$STATE/hostkeys/ssh_host_ed25519_key.pub")"

# The authorized key: root-owned file, the key added once however often this runs.
keys="$STATE/authorized_keys/$WORKSPACE_USER"
touch "$keys"
if ! grep -qxF "$SSH_PUBLIC_KEY" "$keys"; then
  printf '%s\n' "$SSH_PUBLIC_KEY" >> "$keys"
fi
chown root:root "$keys"
chmod 0644 "$keys"

# Where sshd listens (the host-network variant listens on 127.0.0.1 only).
printf 'Port %s\nListenAddress %s\n' "$SSH_PORT" "$SSH_LISTEN_ADDRESS" > /etc/ssh/sshd_config.d/01-listen.conf

# The deployment credential: readable by root only; the broker uses it for the gate.
if [ ! -r "$CREDENTIAL_SOURCE" ]; then
  echo "The deployment credential is missing ($CREDENTIAL_SOURCE): deploy again from CODITECT Console." >&2
  exit 1
fi
cp "$CREDENTIAL_SOURCE" /etc/coditect/credential
chown root:root /etc/coditect/credential
chmod 0600 /etc/coditect/credential
python3 -c 'import json, os, sys; json.dump({"api_url": os.environ["CODITECT_API_URL"], "device_name": os.environ.get("CODITECT_DEVICE_NAME", "")}, sys.stdout)' > /etc/coditect/workspace.json
chmod 0644 /etc/coditect/workspace.json

# Session files: a sticky directory, each file 0600 of its user.
mkdir -p /run/coditect/sessions
chmod 1733 /run/coditect/sessions

python3 -m coditect.gate --broker --api-url "$CODITECT_API_URL" \
  --credential-file /etc/coditect/credential --user "$WORKSPACE_USER" &

/usr/sbin/sshd -t
exec /usr/sbin/sshd -D -e
