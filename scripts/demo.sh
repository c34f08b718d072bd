#!/usr/bin/env bash
# The one-command demo. DEVELOPMENT ONLY: the built-in IdPs sign in anyone who clicks a name.
#
# Installs what a fresh machine lacks (scripts/bootstrap.sh), creates a fresh SQLite database
# (var/demo.sqlite3, made anew at every start; DATABASE_URL picks another database, used as it
# is), migrates it, seeds roles, work items and a console admin, then
# starts on loopback: the development SAML IdP, the development OpenID Connect provider and the
# Work Portal. It prints where to go and how to sign in. AutoProvisionUsers starts OFF, as the
# product ships. Ctrl-C stops everything it started. The walkthrough is docs/demo.md.
#
# Environment (all optional):
#   DEMO_PORT=8000 DEMO_SAML_PORT=8001 DEMO_OIDC_PORT=8002   loopback ports
#   DEMO_ADMIN=admin@demo.local  DEMO_ADMIN_PASSWORD=...      console admin (default: a new random password)
#   DATABASE_URL=...                                          another database, kept as it is
set -euo pipefail
cd "$(dirname "$0")/.."

host=127.0.0.1  # the development IdPs serve loopback only
port=${DEMO_PORT:-8000}
saml_port=${DEMO_SAML_PORT:-8001}
oidc_port=${DEMO_OIDC_PORT:-8002}
admin=${DEMO_ADMIN:-admin@demo.local}

scripts/bootstrap.sh
py=.venv/bin/python

# Every port must be free before anything starts: a half-started demo is confusing.
for p in "$port" "$saml_port" "$oidc_port"; do
  # SO_REUSEADDR like the servers themselves: connections of a previous run may linger.
  if ! "$py" -c 'import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((sys.argv[1], int(sys.argv[2]))); s.listen()' "$host" "$p" 2>/dev/null; then
    echo "Port $p on $host is in use. Stop what uses it, or choose other ports:" >&2
    echo "  DEMO_PORT=9000 DEMO_SAML_PORT=9001 DEMO_OIDC_PORT=9002 scripts/demo.sh" >&2
    exit 1
  fi
done

# The development IdPs are refused unless debug is on (they would be a backdoor in production),
# and debug is only allowed with loopback hosts.
export DJANGO_DEBUG=true DJANGO_ALLOWED_HOSTS="$host,localhost"
# pysaml2 imports a cipher mode cryptography has moved; the warning is not for newcomers.
export PYTHONWARNINGS="ignore:CFB has been moved"
export PUBLIC_URL="http://$host:$port"
export SAML_IDP_METADATA="http://$host:$saml_port/metadata"
export OIDC_OP_DISCOVERY_URL="http://$host:$oidc_port/.well-known/openid-configuration"
export OIDC_RP_CLIENT_ID=workportal-dev
export OIDC_RP_CLIENT_SECRET=development-only-secret
export OIDC_PROVIDER_NAME="${OIDC_PROVIDER_NAME:-Development OpenID Connect provider}"
admin_password=${DEMO_ADMIN_PASSWORD:-$("$py" -c 'import secrets; print(secrets.token_urlsafe(12))')}

if [ -z "${DATABASE_URL:-}" ]; then
  # A fresh database at every start, so the walkthrough starts where the product ships.
  mkdir -p var
  rm -f var/demo.sqlite3
  export DATABASE_URL="sqlite:///$PWD/var/demo.sqlite3"
fi
echo "Preparing the database ($DATABASE_URL)"
"$py" manage.py migrate --noinput >/dev/null
"$py" manage.py collectstatic --noinput >/dev/null
DEMO_ADMIN_PASSWORD="$admin_password" "$py" manage.py seed_demo --admin "$admin"

pids=()
stop() {
  trap - EXIT INT TERM
  if [ "${#pids[@]}" -gt 0 ]; then
    echo
    echo "Stopping the demo"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
}
trap stop EXIT
trap 'exit 130' INT TERM

# Each server gets its own process group (job control), so Ctrl-C reaches this script
# alone and `stop` ends the servers in order with SIGTERM.
set -m
"$py" -m devidp.saml --port "$saml_port" --sp-metadata "$PUBLIC_URL/saml2/metadata/" &
pids+=($!)
"$py" -m devidp.oidc --port "$oidc_port" --client-id "$OIDC_RP_CLIENT_ID" \
  --client-secret "$OIDC_RP_CLIENT_SECRET" &
pids+=($!)
.venv/bin/gunicorn config.wsgi --bind "$host:$port" --workers 2 --no-control-socket &
pids+=($!)

wait_for() {
  "$py" - "$1" <<'PY'
import sys, time, urllib.request
url, deadline = sys.argv[1], time.monotonic() + 60
while True:
    try:
        urllib.request.urlopen(url, timeout=2).read()
        break
    except Exception:
        if time.monotonic() > deadline:
            sys.exit(f"{url} did not answer within 60 seconds")
        time.sleep(0.2)
PY
}
wait_for "$SAML_IDP_METADATA"
wait_for "$OIDC_OP_DISCOVERY_URL"
wait_for "$PUBLIC_URL/healthz"

cat <<EOF

================================================================================
 Work Portal demo (DEVELOPMENT ONLY) is running.

 Work Portal          $PUBLIC_URL/
 Management Console   $PUBLIC_URL/console/   (sign in at $PUBLIC_URL/console/login/)
   console admin      $admin
   password           $admin_password

 Development IdPs: click a name on their sign-in page to be that person.
   SAML 2.0           http://$host:$saml_port/
   OpenID Connect     http://$host:$oidc_port/
   New hire with no account: Nestor Wilke (nestor.wilke@contoso.com, SAML).

 AutoProvisionUsers is OFF, as the product ships. Try the walkthrough in docs/demo.md:
   1. Sign in to the Work Portal as Nestor Wilke: refused, no account.
   2. In the console's Custom Properties, switch AutoProvisionUsers on and set
      RolesForAutoProvisionedUsers to Employee.
   3. Sign in again as Nestor Wilke: the account is created, the inbox shows the
      Employee role's work, and the console's Authentication log shows
      Login / Auto-provisioned user.

 Press Ctrl-C to stop everything.
================================================================================
EOF

# Return when Ctrl-C arrives or when any server stops (then stop the others too).
set +e
wait -n "${pids[@]}"
status=$?
echo "A demo server stopped on its own (exit status $status); stopping the others." >&2
exit "$status"
