# Sourced by .ci/run: a throw-away PostgreSQL server on loopback for the SQL-source tests.
# Installs the Debian package when no server binaries are found, starts a fresh cluster in
# a temporary folder on a free 127.0.0.1 port (trust auth, nothing else can reach it),
# creates a database and exports ONSIS_TEST_PG_URI. The server and its folder go away when
# the calling shell exits, so running CI twice, or on a machine where PostgreSQL is already
# installed or running, works the same way.

pg_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

if [ -z "$(pg_bin)" ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
fi
PG_BIN="$(pg_bin)"

# initdb refuses to run as root: the cluster then belongs to the postgres user.
if [ "$(id -u)" -eq 0 ]; then
    as_pg() { runuser -u postgres -- "$@"; }
else
    as_pg() { "$@"; }
fi

PG_DIR="$(mktemp -d /tmp/onsis-ci-pg.XXXXXX)"
[ "$(id -u)" -eq 0 ] && chown postgres "$PG_DIR"
PG_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

stop_ci_postgres() {
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
}
trap stop_ci_postgres EXIT

as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR" start >/dev/null
as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres onsis_test
export ONSIS_TEST_PG_URI="postgresql://postgres@127.0.0.1:$PG_PORT/onsis_test"
