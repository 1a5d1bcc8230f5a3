#!/usr/bin/env bash
# Local stack for invoiceflow: Kafka, Redis, PostgreSQL and Azurite (the Azure Storage emulator's blob service).
#
#   infra/stack.sh up [SERVICE...]      use each service if it already answers, otherwise start it (see below)
#   infra/stack.sh down [SERVICE...]    stop only the services that this script started (recorded in the state dir)
#   infra/stack.sh status               one line per service; exit 1 if any does not answer
#   infra/stack.sh kill SERVICE...      crash a service this script started (SIGKILL; PostgreSQL: immediate stop)
#   infra/stack.sh freeze|thaw SERVICE... stop a started service's processes dead (SIGSTOP) or let them go on
# SERVICE is kafka, redis, postgres or azurite (all four when none is named). kill, freeze and thaw are for the chaos
# suite (`invoiceflow chaos`), which runs its own stack beside yours (its own state dir and ports).
#
# Kafka:      INVOICEFLOW_KAFKA_BOOTSTRAP (127.0.0.1:9092). If it does not answer: Docker compose when a Docker
#             engine answers, else a native single-node KRaft broker (broker+controller) from the jars that
#             infra/kafka-jars.sh caches; controller on INVOICEFLOW_KAFKA_CONTROLLER_PORT (9093).
# Redis:      INVOICEFLOW_REDIS_URL (redis://127.0.0.1:6379/0). Else a daemonized redis-server, no persistence
#             (INVOICEFLOW_REDIS_PERSIST=1: an append-only file, so a restarted server has its data back).
# PostgreSQL: INVOICEFLOW_POSTGRES_DSN (postgresql://invoiceflow:invoiceflow@127.0.0.1:5432/invoiceflow).
#             Else a private cluster (initdb once, pg_ctl start) with the DSN's role and database; if a
#             local cluster already listens on the port (e.g. Debian's own) and we can be its superuser,
#             the role and database are created in it instead.
# Azurite:    INVOICEFLOW_BLOB_URL (http://127.0.0.1:10000/devstoreaccount1). Else azurite-blob from the npm package
#             that infra/azurite.sh installs, with the account and key of INVOICEFLOW_BLOB_ACCOUNT/_KEY (default:
#             the emulator's own, in infra/azurite.env); blobs kept in the state dir.
# State, data and logs: INVOICEFLOW_STATE_DIR ($HOME/.cache/invoiceflow/state). Idempotent; fast when up.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"

STATE="${INVOICEFLOW_STATE_DIR:-$HOME/.cache/invoiceflow/state}"
CACHE="${INVOICEFLOW_KAFKA_CACHE:-$HOME/.cache/invoiceflow/kafka}"
BOOTSTRAP="${INVOICEFLOW_KAFKA_BOOTSTRAP:-127.0.0.1:9092}"
CONTROLLER_PORT="${INVOICEFLOW_KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP="${INVOICEFLOW_KAFKA_HEAP:--Xms256m -Xmx512m}"
REDIS_URL="${INVOICEFLOW_REDIS_URL:-redis://127.0.0.1:6379/0}"
PG_DSN="${INVOICEFLOW_POSTGRES_DSN:-postgresql://invoiceflow:invoiceflow@127.0.0.1:5432/invoiceflow}"
COMPOSE_FILE="$HERE/docker-compose.kafka.yml"
STARTED="$STATE/started"          # one line per service this script started: "<service> <how> [detail]"
WAIT_SECONDS=60
# A broker that kept many topics loads every partition before it serves metadata: give it longer.
KAFKA_WAIT_SECONDS="${INVOICEFLOW_KAFKA_START_TIMEOUT_S:-240}"

# ---------------------------------------------------------------------------------------------- helpers
say()  { echo "stack: $*"; }
die()  { echo "stack: ERROR: $*" >&2; exit 1; }
is_root() { [[ $EUID -eq 0 ]]; }
is_local_host() { [[ "$1" == localhost || "$1" == 127.* || "$1" == ::1 ]]; }

# TCP connect test with a short timeout (bash's /dev/tcp; no extra tool needed).
port_open() { timeout 1 bash -c ">/dev/tcp/$1/$2" 2>/dev/null; }

record_started() {   # record_started <line>
    grep -qxF "$1" "$STARTED" 2>/dev/null || echo "$1" >>"$STARTED"
}
was_started() {      # was_started <service>  -> prints the recorded line, if any
    grep -m1 "^$1 " "$STARTED" 2>/dev/null || true
}

# Hide the password of a URL in messages.
mask() { sed -E 's#(://[^:/@]*:)[^@]*@#\1***@#' <<<"$1"; }

stop_daemon() {      # stop_daemon <service> <pid file> <what>: SIGTERM, up to 10 s to go, then SIGKILL
    local pid i
    pid="$(cat "$2" 2>/dev/null || true)"
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        say "$1: stopping $3 (pid $pid)"
        kill -TERM "$pid"
        for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -0 "$pid" 2>/dev/null && { kill -KILL "$pid" 2>/dev/null || true; }
    else
        say "$1: $3 was not running"
    fi
    rm -f "$2"
}

tail_log() {         # tail_log <file>: the last errors and last lines of a log, to explain a failure
    [[ -s "$1" ]] || return 0
    {
        echo "----- $1: last errors -----"
        grep -E "ERROR|FATAL|PANIC|Exception" "$1" | tail -n 5 | cut -c1-300 || true   # none is no failure
        echo "----- $1: last lines -----"
        tail -n 10 "$1" | cut -c1-300
        echo "-----"
    } >&2
}

# ---------------------------------------------------------------------------------------------- parsing
# Kafka: the first host:port of the bootstrap list.
KAFKA_FIRST="${BOOTSTRAP%%,*}"
KAFKA_HOST="${KAFKA_FIRST%:*}"; KAFKA_HOST="${KAFKA_HOST#[}"; KAFKA_HOST="${KAFKA_HOST%]}"
KAFKA_PORT="${KAFKA_FIRST##*:}"

# Redis: redis://[[user]:password@]host[:port][/db]
if [[ "$REDIS_URL" =~ ^rediss?://(([^@]*)@)?(\[[^]]+\]|[^:/]+)(:([0-9]+))?(/[0-9]*)?$ ]]; then
    REDIS_AUTH="${BASH_REMATCH[2]}"; REDIS_HOST="${BASH_REMATCH[3]}"; REDIS_PORT="${BASH_REMATCH[5]:-6379}"
    REDIS_HOST="${REDIS_HOST#[}"; REDIS_HOST="${REDIS_HOST%]}"
    REDIS_PASSWORD="${REDIS_AUTH#*:}"; [[ "$REDIS_AUTH" == *:* ]] || REDIS_PASSWORD="$REDIS_AUTH"
else
    die "cannot parse INVOICEFLOW_REDIS_URL=$(mask "$REDIS_URL") (expected redis://[:password@]host[:port][/db])"
fi

# PostgreSQL: postgresql://user[:password]@host[:port]/dbname[?params]  (plain, not percent-encoded, names)
if [[ "$PG_DSN" =~ ^postgres(ql)?://([^:@/]+)(:([^@]*))?@([^:/?]+)(:([0-9]+))?/([^?]+) ]]; then
    PG_USER="${BASH_REMATCH[2]}"; PG_PASSWORD="${BASH_REMATCH[4]}"; PG_HOST="${BASH_REMATCH[5]}"
    PG_PORT="${BASH_REMATCH[7]:-5432}"; PG_DB="${BASH_REMATCH[8]}"
else
    die "cannot parse INVOICEFLOW_POSTGRES_DSN=$(mask "$PG_DSN") (expected postgresql://user:password@host:port/db)"
fi

# ============================================================================================== Kafka
KAFKA_DIR="$STATE/kafka"
KAFKA_PID="$KAFKA_DIR/kafka.pid"
KAFKA_LOG="$KAFKA_DIR/logs/server.log"
KAFKA_OUT="$KAFKA_DIR/logs/kafka.out"

kafka_answers() {    # the broker serves metadata
    port_open "$KAFKA_HOST" "$KAFKA_PORT" || return 1
    if command -v kcat >/dev/null; then
        local meta
        meta="$(kcat -L -b "$BOOTSTRAP" -m 3 2>/dev/null)" && [[ "$meta" == *" brokers:"* ]]
    elif [[ -x "$ROOT/.venv/bin/python" ]]; then
        "$ROOT/.venv/bin/python" - "$BOOTSTRAP" <<'PY' >/dev/null 2>&1
import asyncio, sys
from aiokafka.admin import AIOKafkaAdminClient
async def main() -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=sys.argv[1], request_timeout_ms=3000)
    await admin.start()
    try:
        await admin.describe_cluster()
    finally:
        await admin.close()
asyncio.run(main())
PY
    else
        return 0     # nothing better to ask with: an open port will do
    fi
}

kafka_native_pid() { # prints the pid of our native broker if it is running (pid file first, then /proc)
    local pid f
    if [[ -f "$KAFKA_PID" ]]; then
        pid="$(cat "$KAFKA_PID")"
        if [[ -n "$pid" ]] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF "kafka.Kafka $KAFKA_DIR/server.properties"; then
            echo "$pid"; return 0
        fi
    fi
    # Not (or no longer) the recorded pid, e.g. when setsid had to fork: look for it, and record it.
    for f in $(grep -lasF -- "$KAFKA_DIR/server.properties" /proc/[0-9]*/cmdline 2>/dev/null || true); do
        tr '\0' ' ' 2>/dev/null <"$f" | grep -qF "kafka.Kafka $KAFKA_DIR/server.properties" || continue
        pid="${f#/proc/}"; pid="${pid%/cmdline}"
        echo "$pid" >"$KAFKA_PID"; echo "$pid"; return 0
    done
    return 1
}

kafka_launch_alive() { # the process we launched (maybe still between fork and exec of java) or the broker runs
    local pid
    pid="$(cat "$KAFKA_PID" 2>/dev/null || true)"
    { [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; } || kafka_native_pid >/dev/null
}

# Docker is used only when its engine answers and the compose plugin is there.
docker_answers() {
    command -v docker >/dev/null && timeout 5 docker info >/dev/null 2>&1 \
        && docker compose version >/dev/null 2>&1
}

kafka_write_config() {
    mkdir -p "$KAFKA_DIR/data" "$KAFKA_DIR/logs"
    cat >"$KAFKA_DIR/server.properties" <<EOF
# Generated by infra/stack.sh on each start: single-node KRaft, broker and controller in one process.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$KAFKA_DIR/data
# Topics are created explicitly by the application's topic registry.
auto.create.topics.enable=false
num.partitions=8
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
log.retention.hours=24
log.segment.bytes=104857600
EOF
    cat >"$KAFKA_DIR/log4j2.properties" <<EOF
# Generated by infra/stack.sh: broker log in $KAFKA_LOG, rolled at 20 MB, 3 kept.
status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = $KAFKA_LOG
appender.file.filePattern = $KAFKA_LOG.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 20MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.request.name = kafka.request.logger
logger.request.level = WARN
EOF
}

kafka_java() {       # kafka_java <main class> <args...>: run a class from the cached jars in the foreground
    java -Xmx256m -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" -cp "$CACHE/*" "$@"
}

kafka_start_native() {
    command -v java >/dev/null || die "java not found: run infra/install-system-deps.sh"
    local java_major
    java_major="$(java -version 2>&1 | sed -nE 's/.*version "(1\.)?([0-9]+).*/\2/p' | head -n 1)"
    ((${java_major:-0} >= 17)) || die "kafka: Kafka 4.x needs Java 17 or newer; 'java' is version ${java_major:-unknown}"
    bash "$HERE/kafka-jars.sh" || die "could not fetch the Kafka jars (infra/kafka-jars.sh)"
    kafka_write_config

    # Format the storage once, with a cluster id generated once and kept.
    if [[ ! -f "$KAFKA_DIR/data/meta.properties" ]]; then
        [[ -s "$KAFKA_DIR/cluster.id" ]] || kafka_java kafka.tools.StorageTool random-uuid >"$KAFKA_DIR/cluster.id"
        say "kafka: formatting storage in $KAFKA_DIR/data (cluster id $(cat "$KAFKA_DIR/cluster.id"))"
        kafka_java kafka.tools.StorageTool format -t "$(cat "$KAFKA_DIR/cluster.id")" \
            -c "$KAFKA_DIR/server.properties" >"$KAFKA_DIR/logs/format.log" 2>&1 \
            || { tail_log "$KAFKA_DIR/logs/format.log"; die "kafka: storage format failed (log: $KAFKA_DIR/logs/format.log)"; }
    fi

    say "kafka: starting native KRaft broker on $KAFKA_HOST:$KAFKA_PORT (controller 127.0.0.1:$CONTROLLER_PORT)"
    # setsid: its own session, so a Ctrl-C in the calling terminal does not reach it.
    # shellcheck disable=SC2086  # KAFKA_HEAP holds several JVM options
    setsid java $KAFKA_HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" \
        -cp "$CACHE/*" kafka.Kafka "$KAFKA_DIR/server.properties" \
        </dev/null >"$KAFKA_OUT" 2>&1 9>&- &
    echo $! >"$KAFKA_PID"
    record_started "kafka native"
}

kafka_wait() {       # kafka_wait <how>: wait until the broker serves metadata
    local deadline=$((SECONDS + KAFKA_WAIT_SECONDS)) next_note=$((SECONDS + 30))
    until kafka_answers; do
        if [[ "$1" == native ]] && ! kafka_launch_alive; then
            tail_log "$KAFKA_OUT"; tail_log "$KAFKA_LOG"
            die "kafka: the broker exited during startup (logs: $KAFKA_LOG, $KAFKA_OUT)"
        fi
        if ((SECONDS >= deadline)); then
            [[ "$1" == native ]] && { tail_log "$KAFKA_LOG"; die "kafka: no metadata from $BOOTSTRAP after ${KAFKA_WAIT_SECONDS}s (log: $KAFKA_LOG)"; }
            die "kafka: no metadata from $BOOTSTRAP after ${KAFKA_WAIT_SECONDS}s (docker compose -f $COMPOSE_FILE logs kafka)"
        fi
        if ((SECONDS >= next_note)); then
            say "kafka: still starting after $((SECONDS - deadline + KAFKA_WAIT_SECONDS))s (log: $KAFKA_LOG)"
            next_note=$((SECONDS + 30))
        fi
        sleep 0.5
    done
}

kafka_up() {
    if kafka_answers; then say "kafka: up at $BOOTSTRAP"; return; fi
    if kafka_native_pid >/dev/null; then           # ours, still starting
        say "kafka: native broker is starting, waiting"; kafka_wait native; say "kafka: up at $BOOTSTRAP"; return
    fi
    port_open "$KAFKA_HOST" "$KAFKA_PORT" \
        && die "kafka: something listens on $KAFKA_HOST:$KAFKA_PORT but serves no Kafka metadata; stop it or set INVOICEFLOW_KAFKA_BOOTSTRAP"
    is_local_host "$KAFKA_HOST" || die "kafka: $BOOTSTRAP does not answer and is not local: cannot start it here"

    local t0=$SECONDS
    if docker_answers; then
        say "kafka: starting with docker compose ($COMPOSE_FILE)"
        docker compose -f "$COMPOSE_FILE" up -d kafka 9>&- || die "kafka: docker compose up failed"
        record_started "kafka docker"
        kafka_wait docker
    else
        kafka_start_native
        kafka_wait native
    fi
    say "kafka: up at $BOOTSTRAP (started in $((SECONDS - t0))s)"
}

kafka_down() {
    local line pid i
    line="$(was_started kafka)"
    case "$line" in
        "kafka docker")
            say "kafka: stopping the docker compose service"
            docker compose -f "$COMPOSE_FILE" stop kafka || return 1 ;;
        "kafka native")
            if pid="$(kafka_native_pid)"; then
                say "kafka: stopping native broker (pid $pid)"
                kill -TERM "$pid" 2>/dev/null || true
                for ((i = 0; i < 120; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
                if kill -0 "$pid" 2>/dev/null; then
                    say "kafka: broker did not stop in 60s, killing it"; kill -KILL "$pid" 2>/dev/null || true
                fi
            else
                say "kafka: native broker was not running"
            fi
            rm -f "$KAFKA_PID" ;;
        *) say "kafka: not started by this script, left alone" ;;
    esac
}

kafka_status() {
    local line pid how="external"
    line="$(was_started kafka)"
    if [[ "$line" == "kafka native" ]]; then
        pid="$(kafka_native_pid || true)"
        how="native broker started by stack.sh, pid ${pid:-none}, log $KAFKA_LOG"
    elif [[ "$line" == "kafka docker" ]]; then
        how="docker compose service started by stack.sh"
    fi
    if kafka_answers; then echo "kafka     up    $BOOTSTRAP ($how)"; else echo "kafka     DOWN  $BOOTSTRAP"; return 1; fi
}

# ============================================================================================== Redis
REDIS_DIR="$STATE/redis"

redis_answers() {
    port_open "$REDIS_HOST" "$REDIS_PORT" || return 1
    [[ "$(timeout 3 env REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli -u "$REDIS_URL" ping 2>/dev/null)" == PONG ]]
}

redis_up() {
    if redis_answers; then say "redis: up at $(mask "$REDIS_URL")"; return; fi
    port_open "$REDIS_HOST" "$REDIS_PORT" \
        && die "redis: something listens on $REDIS_HOST:$REDIS_PORT but does not answer PING for $(mask "$REDIS_URL") (wrong password?)"
    is_local_host "$REDIS_HOST" || die "redis: $(mask "$REDIS_URL") does not answer and is not local: cannot start it here"
    command -v redis-server >/dev/null || die "redis-server not found: run infra/install-system-deps.sh"

    mkdir -p "$REDIS_DIR"
    local args=(--daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --dir "$REDIS_DIR"
                --logfile "$REDIS_DIR/redis.log" --pidfile "$REDIS_DIR/redis.pid" --save "")
    if [[ -n "${INVOICEFLOW_REDIS_PERSIST:-}" ]]; then
        args+=(--appendonly yes --appendfsync always)
    else
        args+=(--appendonly no)
    fi
    [[ -n "$REDIS_PASSWORD" ]] && args+=(--requirepass "$REDIS_PASSWORD")
    say "redis: starting redis-server on 127.0.0.1:$REDIS_PORT"
    redis-server "${args[@]}" >/dev/null 9>&- || { tail_log "$REDIS_DIR/redis.log"; die "redis: redis-server failed to start (log: $REDIS_DIR/redis.log)"; }
    record_started "redis native"
    local deadline=$((SECONDS + 15))
    until redis_answers; do
        ((SECONDS < deadline)) || { tail_log "$REDIS_DIR/redis.log"; die "redis: no PONG after 15s (log: $REDIS_DIR/redis.log)"; }
        sleep 0.2
    done
    say "redis: up at $(mask "$REDIS_URL")"
}

redis_down() {
    if [[ -z "$(was_started redis)" ]]; then say "redis: not started by this script, left alone"; return; fi
    stop_daemon redis "$REDIS_DIR/redis.pid" redis-server
}

redis_status() {
    local how="external"
    [[ -n "$(was_started redis)" ]] && how="started by stack.sh, log $REDIS_DIR/redis.log"
    if redis_answers; then echo "redis     up    $(mask "$REDIS_URL") ($how)"; else echo "redis     DOWN  $(mask "$REDIS_URL")"; return 1; fi
}

# ============================================================================================== PostgreSQL
pg_bindir() {        # the newest server installation: Debian's layout, else whatever pg_ctl is on PATH
    local d
    d="$(compgen -G '/usr/lib/postgresql/*/bin' | sort -V | tail -n 1 || true)"
    if [[ -n "$d" && -x "$d/postgres" ]]; then echo "$d"; return; fi
    command -v pg_ctl >/dev/null && dirname "$(command -v pg_ctl)" && return
    die "postgres: no PostgreSQL server binaries found: run infra/install-system-deps.sh"
}

# The server refuses to run as root: as root, run its tools as the postgres OS user (from /, since the
# caller's directory may be unreadable to it).
as_pg() {
    if is_root; then (cd / && runuser -u postgres -- "$@"); else (cd / && "$@"); fi
}

# Where our private cluster lives: $STATE/postgres, unless we are root and the postgres OS user cannot
# reach the state dir (e.g. it is under /root, mode 700): then /var/lib/postgresql/invoiceflow/<port>,
# with $STATE/postgres as a symlink to it so that everything is still found from the state dir.
pg_home() {
    local link="$STATE/postgres"
    if [[ -L "$link" ]]; then readlink -f "$link"; return; fi
    if [[ -d "$link" ]] || ! is_root || (cd / && runuser -u postgres -- test -x "$STATE") 2>/dev/null; then
        echo "$link"
    else
        echo "/var/lib/postgresql/invoiceflow/$PG_PORT"
    fi
}

pg_answers() {
    port_open "$PG_HOST" "$PG_PORT" || return 1
    PGCONNECT_TIMEOUT=3 psql "$PG_DSN" -XtAqc 'select 1' >/dev/null 2>&1
}

# Create (or update the password of) the DSN's role and create its database, as superuser over a unix socket.
pg_provision() {     # pg_provision <socket dir>
    as_pg psql -X -q -h "$1" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
        -v role="$PG_USER" -v pw="$PG_PASSWORD" -v db="$PG_DB" >/dev/null <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I LOGIN CREATEDB PASSWORD %L', :'role', :'pw') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role') WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SQL
}

pg_up() {
    if pg_answers; then say "postgres: up at $(mask "$PG_DSN")"; return; fi
    is_local_host "$PG_HOST" || die "postgres: $(mask "$PG_DSN") does not answer and is not local: cannot start it here"
    command -v psql >/dev/null || die "psql not found: run infra/install-system-deps.sh"

    local home bin data run log
    home="$(pg_home)"; bin="$(pg_bindir)"
    data="$home/data"; run="$home/run"; log="$home/postgres.log"

    if port_open "$PG_HOST" "$PG_PORT"; then
        # Something already listens. If it is a local cluster whose superuser we can be (ours, or Debian's own
        # cluster when we are root), add the role and database to it; otherwise say what is wrong.
        local sock
        for sock in "$run" /var/run/postgresql /tmp; do
            [[ -S "$sock/.s.PGSQL.$PG_PORT" ]] || continue
            if pg_provision "$sock" 2>/dev/null && pg_answers; then
                say "postgres: created role '$PG_USER' and database '$PG_DB' in the cluster already on port $PG_PORT (socket $sock)"
                say "postgres: up at $(mask "$PG_DSN")"
                return
            fi
        done
        die "postgres: port $PG_PORT is taken by a server that rejects $(mask "$PG_DSN") and that this script cannot administer;" \
            "create the role/database there, stop it, or set INVOICEFLOW_POSTGRES_DSN to another port"
    fi

    # Our private cluster: create it once.
    [[ "$home" == "$STATE/postgres" ]] || { mkdir -p "$home"; ln -sfn "$home" "$STATE/postgres"; }
    if [[ ! -f "$data/PG_VERSION" ]]; then
        say "postgres: creating a cluster in $data"
        mkdir -p "$home"
        is_root && chown postgres:postgres "$home"
        as_pg mkdir -p "$run"
        as_pg "$bin/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
            --no-locale -E UTF8 >"$STATE/postgres-initdb.log" 2>&1 \
            || { tail_log "$STATE/postgres-initdb.log"; die "postgres: initdb failed (log: $STATE/postgres-initdb.log)"; }
        # Local cluster: loopback only, socket in our dir. Durability stays at PostgreSQL's defaults
        # (fsync, synchronous_commit on), so the record benchmarks measure what production pays per commit.
        as_pg tee -a "$data/postgresql.conf" >/dev/null <<EOF

# --- added by invoiceflow infra/stack.sh ---
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$run'
EOF
    fi
    # An existing cluster must be run by the major version that created it.
    local made_by; made_by="$(cat "$data/PG_VERSION")"
    if [[ -x "/usr/lib/postgresql/$made_by/bin/pg_ctl" ]]; then bin="/usr/lib/postgresql/$made_by/bin"; fi

    say "postgres: starting the cluster in $data on 127.0.0.1:$PG_PORT"
    as_pg "$bin/pg_ctl" -D "$data" -l "$log" -w -t "$WAIT_SECONDS" start >/dev/null 9>&- \
        || { tail_log "$log"; die "postgres: pg_ctl start failed (log: $log)"; }
    record_started "postgres native $data"
    pg_provision "$run" || { tail_log "$log"; die "postgres: could not create role/database (log: $log)"; }
    pg_answers || die "postgres: the cluster runs but $(mask "$PG_DSN") still fails (log: $log)"
    say "postgres: up at $(mask "$PG_DSN")"
}

pg_down() {
    local line data bin
    line="$(was_started postgres)"
    if [[ -z "$line" ]]; then say "postgres: not started by this script, left alone"; return; fi
    data="${line#postgres native }"
    bin="/usr/lib/postgresql/$(cat "$data/PG_VERSION" 2>/dev/null)/bin"
    [[ -x "$bin/pg_ctl" ]] || bin="$(pg_bindir)"
    if as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        say "postgres: stopping the cluster in $data"
        as_pg "$bin/pg_ctl" -D "$data" -m fast -w -t "$WAIT_SECONDS" stop >/dev/null || return 1
    else
        say "postgres: the cluster in $data was not running"
    fi
}

pg_status() {
    local line how="external"
    line="$(was_started postgres)"
    [[ -n "$line" ]] && how="started by stack.sh, data ${line#postgres native }"
    if pg_answers; then echo "postgres  up    $(mask "$PG_DSN") ($how)"; else echo "postgres  DOWN  $(mask "$PG_DSN")"; return 1; fi
}

# ============================================================================================== Azurite
AZURITE_DIR="$STATE/azurite"
env_default() { sed -n "s/^$1=//p" "$HERE/azurite.env"; }   # the emulator's settings in infra/azurite.env
BLOB_URL="${INVOICEFLOW_BLOB_URL:-$(env_default INVOICEFLOW_BLOB_URL)}"
BLOB_ACCOUNT="${INVOICEFLOW_BLOB_ACCOUNT:-$(env_default INVOICEFLOW_BLOB_ACCOUNT)}"
if [[ "$BLOB_URL" =~ ^https?://([^:/]+)(:([0-9]+))?(/.*)?$ ]]; then
    BLOB_HOST="${BASH_REMATCH[1]}"; BLOB_PORT="${BASH_REMATCH[3]:-10000}"
else
    die "cannot parse INVOICEFLOW_BLOB_URL=$BLOB_URL (expected http://host:port/account)"
fi

azurite_answers() {  # the blob service answers with Azurite's (or Azure Storage's) headers
    curl -s -o /dev/null -D - --max-time 2 "http://$BLOB_HOST:$BLOB_PORT/$BLOB_ACCOUNT?comp=list" 2>/dev/null \
        | grep -qi '^x-ms-request-id:'
}

azurite_up() {
    if azurite_answers; then say "azurite: up at $BLOB_URL"; return; fi
    port_open "$BLOB_HOST" "$BLOB_PORT" \
        && die "azurite: something listens on $BLOB_HOST:$BLOB_PORT but is no blob service; stop it or set INVOICEFLOW_BLOB_URL"
    is_local_host "$BLOB_HOST" || die "azurite: $BLOB_URL does not answer and is not local: cannot start it here"
    local bin key
    bin="$(bash "$HERE/azurite.sh" bin)" || die "azurite: could not install it (infra/azurite.sh)"
    key="${INVOICEFLOW_BLOB_KEY:-$(env_default INVOICEFLOW_BLOB_KEY)}"
    mkdir -p "$AZURITE_DIR/data"
    say "azurite: starting the blob service on $BLOB_HOST:$BLOB_PORT"
    # The account and key go through the environment (never the command line, which ps shows); --silent: no
    # access log, whose request URLs would carry the SAS signatures the service is handed; --disableTelemetry:
    # Azurite would otherwise report to Microsoft (a local stack sends nothing out).
    AZURITE_ACCOUNTS="$BLOB_ACCOUNT:$key" setsid "$bin" --blobHost "$BLOB_HOST" --blobPort "$BLOB_PORT" \
        --location "$AZURITE_DIR/data" --skipApiVersionCheck --loose --silent --disableTelemetry \
        </dev/null >"$AZURITE_DIR/azurite.log" 2>&1 9>&- &
    echo $! >"$AZURITE_DIR/azurite.pid"
    record_started "azurite native"
    local deadline=$((SECONDS + WAIT_SECONDS))
    until azurite_answers; do
        kill -0 "$(cat "$AZURITE_DIR/azurite.pid")" 2>/dev/null \
            || { tail_log "$AZURITE_DIR/azurite.log"; die "azurite: exited during startup (log: $AZURITE_DIR/azurite.log)"; }
        ((SECONDS < deadline)) || { tail_log "$AZURITE_DIR/azurite.log"; die "azurite: no answer after ${WAIT_SECONDS}s"; }
        sleep 0.2
    done
    say "azurite: up at $BLOB_URL"
}

azurite_down() {
    if [[ -z "$(was_started azurite)" ]]; then say "azurite: not started by this script, left alone"; return; fi
    stop_daemon azurite "$AZURITE_DIR/azurite.pid" "the blob service"
}

azurite_status() {
    local how="external"
    [[ -n "$(was_started azurite)" ]] && how="started by stack.sh, log $AZURITE_DIR/azurite.log"
    if azurite_answers; then echo "azurite   up    $BLOB_URL ($how)"; else echo "azurite   DOWN  $BLOB_URL"; return 1; fi
}

# ============================================================================================== main
# One up/down at a time per state dir. Every server started below gets `9>&-` so that it does not inherit
# (and hold forever) this lock.
lock() {
    mkdir -p "$STATE"
    exec 9>"$STATE/.lock"
    flock -w 180 9 || die "another infra/stack.sh holds $STATE/.lock"
}

# The pids of a service this script started (for kill, freeze and thaw).
service_pids() {     # service_pids <service>
    local line data
    case "$1" in
        kafka) kafka_native_pid || true ;;
        redis) cat "$REDIS_DIR/redis.pid" 2>/dev/null || true ;;
        azurite) cat "$AZURITE_DIR/azurite.pid" 2>/dev/null || true ;;
        postgres)    # the postmaster and its children
            line="$(was_started postgres)"; data="${line#postgres native }"
            if [[ -n "$line" && -f "$data/postmaster.pid" ]]; then
                head -n 1 "$data/postmaster.pid"
                pgrep -P "$(head -n 1 "$data/postmaster.pid")" || true
            fi ;;
    esac
}

services() {         # services [name...]: the named services, checked, or all four
    local s
    (($# > 0)) || set -- kafka redis postgres azurite
    for s in "$@"; do
        case "$s" in kafka|redis|postgres|azurite) echo "$s" ;; *) die "unknown service '$s' (kafka, redis, postgres or azurite)" ;; esac
    done
}

signal_service() {   # signal_service <signal> <service>
    local pids
    [[ -n "$(was_started "$2")" ]] || die "$2: not started by this script: refusing to signal it"
    pids="$(service_pids "$2" | sort -u | tr '\n' ' ')"
    [[ -n "${pids// }" ]] || { say "$2: not running"; return 0; }
    say "$2: SIG$1 to pid(s) $pids"
    # shellcheck disable=SC2086  # a list of pids
    kill "-$1" $pids 2>/dev/null || true
}

pg_kill() {          # an immediate stop: no checkpoint, crash recovery at the next start
    local line data bin
    line="$(was_started postgres)"; data="${line#postgres native }"
    [[ -n "$line" ]] || die "postgres: not started by this script: refusing to kill it"
    bin="/usr/lib/postgresql/$(cat "$data/PG_VERSION" 2>/dev/null)/bin"
    [[ -x "$bin/pg_ctl" ]] || bin="$(pg_bindir)"
    say "postgres: immediate stop of the cluster in $data"
    as_pg "$bin/pg_ctl" -D "$data" -m immediate -w -t "$WAIT_SECONDS" stop >/dev/null || true
}

action="${1:-}"; shift || true
case "$action" in
    up)
        lock
        for s in $(services "$@"); do "${s/postgres/pg}_up"; done
        ;;
    down)
        lock
        rc=0
        for s in $(services "$@"); do "${s/postgres/pg}_down" || rc=1; done
        ((rc == 0)) || die "some service did not stop; record kept in $STARTED"
        (($# > 0)) || rm -f "$STARTED"
        ;;
    status)
        rc=0
        kafka_status || rc=1
        redis_status || rc=1
        pg_status || rc=1
        azurite_status || rc=1
        exit "$rc"
        ;;
    kill)
        (($# > 0)) || die "kill: name the service(s)"
        for s in $(services "$@"); do
            if [[ "$s" == postgres ]]; then pg_kill; else signal_service KILL "$s"; fi
        done
        ;;
    freeze|thaw)
        (($# > 0)) || die "$action: name the service(s)"
        for s in $(services "$@"); do signal_service "$([[ $action == freeze ]] && echo STOP || echo CONT)" "$s"; done
        ;;
    *)
        echo "usage: $0 up|down [kafka|redis|postgres|azurite ...] | status | kill|freeze|thaw SERVICE..." >&2
        exit 2
        ;;
esac
