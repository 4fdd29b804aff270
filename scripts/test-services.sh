#!/usr/bin/env bash
# Run the test suite against real services: PostgreSQL, Redis, and an S3 API over HTTP
# (moto's S3 server on loopback, started here and always stopped again).
# Usage: scripts/test-services.sh [pytest arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PG_HOST=127.0.0.1
PG_PORT=5432
REDIS_PORT=6379
BUCKET=boardroom-test

die() {
    echo >&2 "test-services: $*"
    exit 1
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

postgres_ready() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -h "$PG_HOST" -p "$PG_PORT"
    else
        port_open "$PG_HOST" "$PG_PORT"
    fi
}

redis_ready() {
    if command -v redis-cli >/dev/null 2>&1; then
        [[ $(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]
    else
        port_open 127.0.0.1 "$REDIS_PORT"
    fi
}

wait_for() { # wait_for SECONDS COMMAND...
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.5
    done
}

if ! postgres_ready; then
    echo "PostgreSQL is not answering on $PG_HOST:$PG_PORT; trying to start it."
    if command -v pg_ctlcluster >/dev/null 2>&1 && [[ -d /etc/postgresql ]]; then
        for version in /etc/postgresql/*; do
            pg_ctlcluster --skip-systemctl-redirect "$(basename "$version")" main start || true
        done
    fi
    wait_for 30 postgres_ready || die "PostgreSQL is not running on $PG_HOST:$PG_PORT and could not be started.
Start it (trust authentication for user postgres, database 'test') and run again."
fi

if ! redis_ready; then
    echo "Redis is not answering on 127.0.0.1:$REDIS_PORT; trying to start it."
    if command -v redis-server >/dev/null 2>&1; then
        mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
        redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
            --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
    fi
    wait_for 30 redis_ready || die "Redis is not running on 127.0.0.1:$REDIS_PORT and could not be started.
Start it and run again."
fi

[[ -x $VENV/bin/moto_server ]] || die "$VENV/bin/moto_server is missing: run 'make test-services' (it installs requirements-dev.txt)."

MOTO_PORT=$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
MOTO_LOG=$(mktemp "${TMPDIR:-/tmp}/boardroom-moto.XXXXXX")
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$MOTO_LOG" 2>&1 &
MOTO_PID=$!

stop_moto() {
    kill "$MOTO_PID" 2>/dev/null || true
    wait "$MOTO_PID" 2>/dev/null || true
    rm -f "$MOTO_LOG"
}
trap stop_moto EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export S3_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT"
export S3_BUCKET=$BUCKET
export S3_ACCESS_KEY_ID=testing
export S3_SECRET_ACCESS_KEY=testing
export S3_REGION=us-east-1
unset S3_PREFIX

moto_ready() {
    kill -0 "$MOTO_PID" 2>/dev/null || {
        cat >&2 "$MOTO_LOG"
        die "moto's S3 server exited before it answered."
    }
    "$VENV/bin/python" - <<'PY' 2>/dev/null
import os
import urllib.request

urllib.request.urlopen(os.environ["S3_ENDPOINT_URL"] + "/moto-api/", timeout=1).close()
PY
}
wait_for 30 moto_ready || {
    cat >&2 "$MOTO_LOG"
    die "moto's S3 server did not answer on $S3_ENDPOINT_URL within 30 s."
}

"$VENV/bin/python" - <<'PY'
import os

import boto3

s3 = boto3.client(
    "s3",
    endpoint_url=os.environ["S3_ENDPOINT_URL"],
    aws_access_key_id=os.environ["S3_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["S3_SECRET_ACCESS_KEY"],
    region_name=os.environ["S3_REGION"],
)
s3.create_bucket(Bucket=os.environ["S3_BUCKET"])
print(f"S3 (moto) at {os.environ['S3_ENDPOINT_URL']}, bucket {os.environ['S3_BUCKET']} created")
PY

# Two runs side by side (two checkouts on one machine) each name their own database and Redis
# database number, e.g. BOARDROOM_TEST_PG_DB=alice BOARDROOM_TEST_REDIS_DB=3.
export DATABASE_URL="postgres://postgres@$PG_HOST:$PG_PORT/${BOARDROOM_TEST_PG_DB:-test}"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/${BOARDROOM_TEST_REDIS_DB:-0}"
# Worker threads (sockets, concurrency tests) must not keep connections open past a test,
# or the test database cannot be dropped at the end. With the connection pool (the default)
# they hand their connections back to it and Django closes the pool before dropping the test
# database; this setting only matters for a run with BOARDROOM_DB_POOL_MAX=0.
export BOARDROOM_DB_CONN_MAX_AGE=0
unset BOARDROOM_TASKS

echo "Running the suite on PostgreSQL ($DATABASE_URL), Redis ($REDIS_URL) and S3 ($S3_ENDPOINT_URL)"
status=0
"$VENV/bin/pytest" "$@" || status=$?
exit "$status"
