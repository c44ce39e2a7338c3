#!/bin/sh
# Entrypoint of the supabase-sync sandbox image (tools/sandbox-image/build.sh).
#
# It follows the official postgres image's conventions, reduced to what a
# throwaway sandbox needs, so the docker backend runs this image and
# postgres:15 / postgres:16 the same way:
#   POSTGRES_PASSWORD  required: the superuser's password (TCP logins use scram-sha-256)
#   POSTGRES_USER      the superuser's name (default postgres)
#   POSTGRES_DB        a database created next to "postgres" (default: POSTGRES_USER)
#   PGDATA             the data directory (default /var/lib/postgresql/data)
# The cluster is made on the first start only; the server then runs as the
# postgres OS user in the foreground (PID 1), listening on every interface of
# the container.
set -eu

PGDATA="${PGDATA:-/var/lib/postgresql/data}"
export PGDATA
as_postgres="setpriv --reuid=postgres --regid=postgres --init-groups"

initialise() {
    if [ -z "${POSTGRES_PASSWORD:-}" ]; then
        echo "error: POSTGRES_PASSWORD is not set; the sandbox image needs a superuser password" >&2
        exit 1
    fi
    superuser="${POSTGRES_USER:-postgres}"
    database="${POSTGRES_DB:-$superuser}"
    install -d -o postgres -g postgres -m 700 "$PGDATA"
    password_file="$(mktemp)"
    printf '%s\n' "$POSTGRES_PASSWORD" >"$password_file"
    chown postgres "$password_file"
    $as_postgres initdb --pgdata="$PGDATA" --username="$superuser" --pwfile="$password_file" \
        --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C --no-sync >/dev/null
    rm -f "$password_file"
    # Connections arrive through the container's network, never from 127.0.0.1 only.
    printf 'host all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
    printf "listen_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
    if [ "$database" != postgres ]; then
        # Single-user mode: nothing listens yet, so no client can see a half-made cluster.
        quoted="$(printf '%s' "$database" | sed 's/"/""/g')"
        printf 'create database "%s";\n' "$quoted" | $as_postgres postgres --single postgres >/dev/null
    fi
}

# Options alone mean options of the server, as in the official image.
case "${1:-}" in -*) set -- postgres "$@" ;; esac
if [ "${1:-}" = postgres ]; then
    install -d -o postgres -g postgres -m 2775 /var/run/postgresql
    [ -s "$PGDATA/PG_VERSION" ] || initialise
    exec $as_postgres "$@"
fi
exec "$@"
