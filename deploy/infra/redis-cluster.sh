#!/usr/bin/env bash
# deploy/infra/redis-cluster.sh — a Redis Cluster on this machine: three primaries and a replica
# of each, for the chaos suite, the cluster-mode tests and trying PARLEY_REDIS_CLUSTER_NODES:
#
#   PARLEY_REDIS_CLUSTER_DIR=<dir> PARLEY_REDIS_CLUSTER_PORT=<p> bash deploy/infra/redis-cluster.sh up
#   ... kill9 <port>    kill -9 the Redis on that port (a primary, to make its replica take over)
#   ... start <port>    start it again (it rejoins as a replica of the node that took over)
#   ... destroy         kill -9 every server and delete the directory
#
# Ports p..p+2 are the primaries, p+3..p+5 their replicas (p+3 replicates p, and so on); each
# node's cluster bus is its port + 10000, so p+10000..p+10005 must be free too. Everything on
# loopback, data under <dir>. Cluster mode is a mode of the redis-server binary `make infra`
# installs (Debian's redis-server): nothing more to install. Failover is quick on purpose: a
# primary is judged down after 1 s without an answer (cluster-node-timeout).
set -euo pipefail

DIR="${PARLEY_REDIS_CLUSTER_DIR:?PARLEY_REDIS_CLUSTER_DIR: where the servers keep their files}"
PORT="${PARLEY_REDIS_CLUSTER_PORT:?PARLEY_REDIS_CLUSTER_PORT: the first primary; p+1..p+5 are used too}"
command -v redis-server >/dev/null 2>&1 || { echo "redis-cluster: redis-server not installed (run make infra)" >&2; exit 3; }

log() { printf 'redis-cluster: %s\n' "$*"; }

start_node() {  # start_node <port>; a restarted node finds its cluster in its nodes.conf
    local port="$1" d="$DIR/redis-$1"
    mkdir -p "$d"
    rm -f "$d/redis.pid"
    redis-server --bind 127.0.0.1 --port "$port" --dir "$d" --daemonize yes --pidfile "$d/redis.pid" \
        --logfile "$d/redis.log" --save "" --appendonly no --repl-diskless-sync-delay 0 \
        --cluster-enabled yes --cluster-config-file "$d/nodes.conf" --cluster-node-timeout 1000 \
        --cluster-replica-validity-factor 0
    until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done
}

cluster_ok() {  # every slot served, as the node on this port sees it
    redis-cli -p "$1" cluster info 2>/dev/null | grep -q "^cluster_state:ok"
}

kill9() {
    local pidfile="$DIR/redis-$1/redis.pid" pid
    [ -s "$pidfile" ] || return 0
    pid="$(tr -dc '0-9' <"$pidfile")"
    if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -- redis >/dev/null; then
        kill -KILL "$pid"
        # Gone, or a zombie its parent has not reaped yet (its port is free either way).
        while kill -0 "$pid" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]; do sleep 0.05; done
        log "killed the server on port $1 (pid $pid)"
    fi
}

case "${1:-}" in
up)
    for offset in 0 1 2 3 4 5; do start_node "$((PORT + offset))"; done
    # Primaries first, then the replicas in that order: redis-cli pairs p+3 with p, p+4 with p+1,
    # p+5 with p+2 (on one host it would otherwise shuffle them).
    redis-cli --cluster create 127.0.0.1:"$PORT" 127.0.0.1:"$((PORT + 1))" 127.0.0.1:"$((PORT + 2))" \
        --cluster-yes >"$DIR/create.log" 2>&1
    for offset in 0 1 2; do
        primary_id="$(redis-cli -p "$((PORT + offset))" cluster myid)"
        redis-cli -p "$((PORT + offset + 3))" cluster meet 127.0.0.1 "$PORT" >/dev/null
        until redis-cli -p "$((PORT + offset + 3))" cluster nodes | grep -q "^$primary_id"; do sleep 0.1; done
        redis-cli -p "$((PORT + offset + 3))" cluster replicate "$primary_id" >/dev/null
    done
    # A replica that has not finished its first sync has nothing: ready only once each is in sync
    # and every node sees every slot served and every replica as one.
    for offset in 3 4 5; do
        until redis-cli -p "$((PORT + offset))" info replication 2>/dev/null | grep -q "master_link_status:up"; do sleep 0.1; done
    done
    for offset in 0 1 2 3 4 5; do
        until cluster_ok "$((PORT + offset))" \
            && [ "$(redis-cli -p "$((PORT + offset))" cluster nodes | grep -c "slave")" -eq 3 ]; do
            sleep 0.1
        done
    done
    log "primaries :$PORT-$((PORT + 2)), replicas :$((PORT + 3))-$((PORT + 5)) running"
    ;;
kill9)
    kill9 "$2"
    ;;
start)
    start_node "$2"
    until cluster_ok "$2"; do sleep 0.1; done
    ;;
destroy)
    for offset in 0 1 2 3 4 5; do kill9 "$((PORT + offset))"; done
    rm -rf "$DIR"
    ;;
*)
    echo "usage: redis-cluster.sh up|kill9 <port>|start <port>|destroy" >&2
    exit 2
    ;;
esac
