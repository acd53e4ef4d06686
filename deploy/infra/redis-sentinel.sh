#!/usr/bin/env bash
# deploy/infra/redis-sentinel.sh — Redis under Sentinel on this machine: a primary, a replica and
# three Sentinels, for the chaos suite and for trying failover:
#
#   PARLEY_REDIS_SENTINEL_DIR=<dir> PARLEY_REDIS_SENTINEL_PORT=<p> bash deploy/infra/redis-sentinel.sh up
#   ... kill9 <port>    kill -9 the Redis on that port (the primary, to make the Sentinels promote)
#   ... start <port>    start it again (the Sentinels make it a replica of the new primary)
#   ... destroy         kill -9 every process and delete the directory
#
# Ports: the primary on p, the replica on p+1, Sentinels on p+2, p+3, p+4, monitoring the
# primary as "parley" with a quorum of two; everything on loopback, data under <dir>. Sentinel
# mode is a mode of the redis-server binary `make infra` installs (Debian's redis-sentinel
# package adds only a system service around `redis-server --sentinel`): nothing more to install.
# Failover is quick on purpose: the primary is judged down after 1 s without an answer.
set -euo pipefail

DIR="${PARLEY_REDIS_SENTINEL_DIR:?PARLEY_REDIS_SENTINEL_DIR: where the servers keep their files}"
PORT="${PARLEY_REDIS_SENTINEL_PORT:?PARLEY_REDIS_SENTINEL_PORT: the primary; p+1..p+4 are used too}"
command -v redis-server >/dev/null 2>&1 || { echo "redis-sentinel: redis-server not installed (run make infra)" >&2; exit 3; }

log() { printf 'redis-sentinel: %s\n' "$*"; }

start_redis() {  # start_redis <port> [replicaof-port]
    local port="$1" d="$DIR/redis-$1"
    mkdir -p "$d"
    local args=(--bind 127.0.0.1 --port "$port" --dir "$d" --daemonize yes --pidfile "$d/redis.pid"
                --logfile "$d/redis.log" --save "" --appendonly no --repl-diskless-sync-delay 0)
    # A restarted former primary comes back as a replica of the current one (the Sentinels would
    # make it one anyway, after it briefly served as a second primary).
    local primary
    if [ -n "${2:-}" ]; then
        args+=(--replicaof 127.0.0.1 "$2")
    elif primary="$(redis-cli -p "$((PORT + 2))" sentinel get-master-addr-by-name parley 2>/dev/null | sed -n 2p)" \
        && [ -n "$primary" ] && [ "$primary" != "$port" ]; then
        args+=(--replicaof 127.0.0.1 "$primary")
    fi
    rm -f "$d/redis.pid"
    redis-server "${args[@]}"
    until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done
}

start_sentinel() {
    local port="$1" d="$DIR/sentinel-$1"
    mkdir -p "$d"
    cat >"$d/sentinel.conf" <<EOF
# written by deploy/infra/redis-sentinel.sh (the Sentinel rewrites it as it learns)
bind 127.0.0.1
port $port
dir $d
daemonize yes
pidfile $d/sentinel.pid
logfile $d/sentinel.log
sentinel monitor parley 127.0.0.1 $PORT 2
sentinel down-after-milliseconds parley 1000
sentinel failover-timeout parley 5000
sentinel parallel-syncs parley 1
EOF
    redis-server "$d/sentinel.conf" --sentinel
    until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done
}

kill9() {
    local pidfile pid
    for pidfile in "$DIR/redis-$1/redis.pid" "$DIR/sentinel-$1/sentinel.pid"; do
        [ -s "$pidfile" ] || continue
        pid="$(tr -dc '0-9' <"$pidfile")"
        if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -- redis >/dev/null; then
            kill -KILL "$pid"
            # Gone, or a zombie its parent has not reaped yet (its port is free either way).
            while kill -0 "$pid" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]; do
                sleep 0.05
            done
            log "killed the server on port $1 (pid $pid)"
        fi
    done
}

case "${1:-}" in
up)
    start_redis "$PORT"
    start_redis "$((PORT + 1))" "$PORT"
    # A replica that has not finished its first sync has nothing: promoted then, it would lose
    # every write. Ready only once it is in sync.
    until redis-cli -p "$((PORT + 1))" info replication 2>/dev/null | grep -q "master_link_status:up"; do sleep 0.1; done
    for offset in 2 3 4; do start_sentinel "$((PORT + offset))"; done
    # Ready when every Sentinel knows the replica and the two other Sentinels.
    for offset in 2 3 4; do
        until [ "$(redis-cli -p "$((PORT + offset))" sentinel replicas parley 2>/dev/null | grep -c "^name$")" -ge 1 ] \
            && [ "$(redis-cli -p "$((PORT + offset))" sentinel sentinels parley 2>/dev/null | grep -c "^name$")" -ge 2 ]; do
            sleep 0.2
        done
    done
    log "primary :$PORT, replica :$((PORT + 1)), Sentinels :$((PORT + 2))-$((PORT + 4)) running"
    ;;
kill9)
    kill9 "$2"
    ;;
start)
    start_redis "$2"
    ;;
destroy)
    for offset in 0 1 2 3 4; do kill9 "$((PORT + offset))"; done
    rm -rf "$DIR"
    ;;
*)
    echo "usage: redis-sentinel.sh up|kill9 <port>|start <port>|destroy" >&2
    exit 2
    ;;
esac
