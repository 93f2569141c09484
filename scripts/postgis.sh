#!/usr/bin/env bash
# A private PostgreSQL 15 + PostGIS server for the tests: 127.0.0.1:55432, trust authentication,
# files under /tmp/wijkmonitor-pg (data in data/, socket and log beside it), database
# wijkmonitor_test with the postgis extension.
#
#   scripts/postgis.sh start    start it (fine when it already runs; stale pid files are removed)
#   scripts/postgis.sh stop     stop it (fine when it does not run)
#   scripts/postgis.sh status   exit 0 when it answers on the port
#
# As root, the server runs as the postgres user (initdb refuses root); as another user, as that user.
set -euo pipefail

PORT=${WIJKMONITOR_PG_PORT:-55432}
BASE=${WIJKMONITOR_PG_DIR:-/tmp/wijkmonitor-pg}
PGDATA_DIR=$BASE/data
LOG=$BASE/server.log
DBNAME=wijkmonitor_test
BIN=/usr/lib/postgresql/15/bin

say() { printf '==> %s\n' "$*"; }
die() {
    printf 'FOUT: %s\n' "$*" >&2
    exit 1
}

# The postgres user may not read the caller's folder (initdb and pg_ctl complain): work from /.
cd /

[[ -x $BIN/pg_ctl ]] || die "PostgreSQL 15 niet gevonden in $BIN: draai eerst scripts/setup.sh"

if [[ $(id -u) -eq 0 ]]; then
    getent passwd postgres >/dev/null || die "gebruiker postgres bestaat niet (apt-get install postgresql-15)"
    OWNER=postgres
    as_owner() { runuser -u postgres -- "$@"; }
else
    OWNER=$(id -un)
    as_owner() { "$@"; }
fi

psql_() { "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres "$@"; }

answers() { "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U postgres -t 2; }

# Remove a postmaster.pid (and socket lock) left by a server that no longer runs, e.g. after a
# reboot or a kill -9; a reused pid that now belongs to another program counts as stale too.
clear_stale_pid() {
    local pidfile=$PGDATA_DIR/postmaster.pid pid comm
    [[ -f $pidfile ]] || return 0
    pid=$(head -n 1 "$pidfile" 2>/dev/null || true)
    if [[ $pid =~ ^[0-9]+$ ]] && [[ -r /proc/$pid/comm ]]; then
        comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
        if [[ $comm == postgres* ]]; then
            return 0 # a real server: starting up or shutting down; pg_ctl deals with it
        fi
    fi
    say "Oud pid-bestand van PostgreSQL opgeruimd."
    rm -f "$pidfile" "$BASE/.s.PGSQL.$PORT" "$BASE/.s.PGSQL.$PORT.lock"
}

init_cluster() {
    if [[ -f $PGDATA_DIR/PG_VERSION && -f $PGDATA_DIR/postgresql.conf ]]; then
        return 0
    fi
    say "PostgreSQL-cluster aanmaken in $PGDATA_DIR..."
    rm -rf "$PGDATA_DIR" # a half-made cluster from an interrupted initdb
    as_owner "$BIN/initdb" -D "$PGDATA_DIR" -U postgres -A trust -E UTF8 --locale=C \
        >"$BASE/initdb.log" 2>&1 || {
        cat "$BASE/initdb.log" >&2
        die "initdb mislukt"
    }
}

start() {
    mkdir -p "$BASE"
    chown "$OWNER" "$BASE"
    chmod 700 "$BASE"
    if [[ -d $PGDATA_DIR ]]; then
        chown -R "$OWNER" "$PGDATA_DIR"
    fi
    init_cluster

    if answers; then
        say "PostGIS draait al op 127.0.0.1:$PORT."
    else
        clear_stale_pid
        say "PostGIS starten op 127.0.0.1:$PORT..."
        as_owner "$BIN/pg_ctl" -D "$PGDATA_DIR" -l "$LOG" -w -t 60 \
            -o "-p $PORT -k $BASE -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
            start >/dev/null || {
            tail -n 30 "$LOG" >&2 || true
            die "PostgreSQL start niet"
        }
        answers || die "PostgreSQL draait maar antwoordt niet op 127.0.0.1:$PORT"
    fi

    if [[ -z $(psql_ -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DBNAME'") ]]; then
        psql_ -d postgres -c "CREATE DATABASE $DBNAME"
    fi
    psql_ -d "$DBNAME" -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS postgis" ||
        die "CREATE EXTENSION postgis mislukt (apt-get install postgresql-15-postgis-3)"
}

stop() {
    clear_stale_pid
    if [[ -f $PGDATA_DIR/postmaster.pid ]]; then
        say "PostGIS stoppen..."
        as_owner "$BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 60 stop >/dev/null
    fi
}

case ${1:-} in
start) start ;;
stop) stop ;;
status) answers ;;
*)
    echo "gebruik: $0 start|stop|status" >&2
    exit 2
    ;;
esac
