#!/usr/bin/env bash
# deploy/infra/rabbitmq-cluster.sh — a three-node RabbitMQ cluster on this machine, from Debian's
# rabbitmq-server (installed by deploy/infra/up.sh), for the chaos suite and for trying failover:
#
#   PARLEY_RABBIT_CLUSTER_DIR=<dir> PARLEY_RABBIT_CLUSTER_PORTS=<p1>,<p2>,<p3> \
#       bash deploy/infra/rabbitmq-cluster.sh up        # start the nodes and join them
#   ... kill9 <i>     kill -9 node i (1-3): its Erlang VM, no goodbye to its peers
#   ... start <i>     start node i again: it rejoins the cluster from its data directory
#   ... down          stop every node of the cluster
#   ... destroy       kill -9 every node and delete the directory (a throwaway cluster: seconds, not 30)
#
# Node i: name parley-c<i>-<port>@localhost (a node name runs once per host), AMQP on its port,
# Erlang distribution on port + 20000, management on port + 10000, data and logs under
# <dir>/node<i>. One Erlang cookie for the three, in <dir>/home/.erlang.cookie (HOME of every
# node and of rabbitmqctl): nodes with different cookies cannot talk. Everything on loopback.
# The default single node of `make infra` is not touched.
set -euo pipefail

RABBITMQ_LIBEXEC="/usr/lib/rabbitmq/bin"
DIR="${PARLEY_RABBIT_CLUSTER_DIR:?PARLEY_RABBIT_CLUSTER_DIR: where the nodes keep their data}"
IFS=, read -r -a PORTS <<<"${PARLEY_RABBIT_CLUSTER_PORTS:?PARLEY_RABBIT_CLUSTER_PORTS: three AMQP ports, comma-separated}"
WAIT="${PARLEY_INFRA_RABBITMQ_WAIT:-120}"
[ "${#PORTS[@]}" -eq 3 ] || { echo "rabbitmq-cluster: three ports, not ${#PORTS[@]}" >&2; exit 2; }
[ -x "$RABBITMQ_LIBEXEC/rabbitmq-server" ] || { echo "rabbitmq-cluster: RabbitMQ not installed (run make infra)" >&2; exit 3; }

log() { printf 'rabbitmq-cluster: %s\n' "$*"; }

node_name() { printf 'parley-c%s-%s@localhost' "$1" "${PORTS[$(($1 - 1))]}"; }
node_dir() { printf '%s/node%s' "$DIR" "$1"; }

# node_env <i>: the environment of node i (in a subshell).
node_env() {
    local port="${PORTS[$(($1 - 1))]}" d
    d="$(node_dir "$1")"
    export HOME="$DIR/home"
    export RABBITMQ_NODENAME
    RABBITMQ_NODENAME="$(node_name "$1")"
    export RABBITMQ_MNESIA_BASE="$d/mnesia" RABBITMQ_LOG_BASE="$d/log" RABBITMQ_PID_FILE="$d/rabbitmq.pid"
    export RABBITMQ_ENABLED_PLUGINS_FILE="$d/enabled_plugins" RABBITMQ_CONFIG_FILE="$d/rabbitmq.conf"
    export RABBITMQ_ADVANCED_CONFIG_FILE="$d/advanced.config" RABBITMQ_CONF_ENV_FILE="$d/rabbitmq-env.conf"
    export RABBITMQ_DIST_PORT="$((port + 20000))"
    export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
    export ERL_EPMD_ADDRESS="127.0.0.1"
}

ctl() {  # ctl <i> <rabbitmqctl args...>
    local i="$1"
    shift
    ( node_env "$i"; timeout 120 "$RABBITMQ_LIBEXEC/rabbitmqctl" -n "$(node_name "$i")" "$@" )
}

start_node() {
    local i="$1" port="${PORTS[$(($1 - 1))]}" d
    d="$(node_dir "$i")"
    rm -f "$d/rabbitmq.pid"
    mkdir -p "$d/mnesia" "$d/log" "$DIR/home"
    if [ ! -s "$DIR/home/.erlang.cookie" ]; then
        head -c 30 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20 >"$DIR/home/.erlang.cookie"
        chmod 400 "$DIR/home/.erlang.cookie"
    fi
    printf '[rabbitmq_management].\n' >"$d/enabled_plugins"
    : >"$d/rabbitmq-env.conf"
    cat >"$d/rabbitmq.conf" <<EOF
# written by deploy/infra/rabbitmq-cluster.sh
listeners.tcp.local = 127.0.0.1:$port
management.tcp.ip = 127.0.0.1
management.tcp.port = $((port + 10000))
default_user = guest
default_pass = guest
EOF
    log "starting node $(node_name "$i") (AMQP $port)"
    ( node_env "$i"; cd "$d"; setsid nohup "$RABBITMQ_LIBEXEC/rabbitmq-server" >"$d/log/startup.log" 2>&1 </dev/null & )
}

await_node() {  # `wait` polls for the node's pid file, then for the node itself
    ctl "$1" wait "$(node_dir "$1")/rabbitmq.pid" --timeout "$WAIT" >/dev/null || {
        echo "rabbitmq-cluster: node $1 did not start; see $(node_dir "$1")/log" >&2
        exit 1
    }
}

kill9_node() {
    local pidfile pid
    pidfile="$(node_dir "$1")/rabbitmq.pid"
    pid="$(tr -dc '0-9' <"$pidfile")"
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -- beam >/dev/null || { echo "rabbitmq-cluster: pid $pid is not node $1" >&2; exit 1; }
    kill -KILL "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    log "node $(node_name "$1") killed (pid $pid)"
}

case "${1:-}" in
up)
    for i in 1 2 3; do start_node "$i"; done
    for i in 1 2 3; do await_node "$i"; done
    for i in 2 3; do
        if ! ctl "$i" cluster_status --formatter json | grep -q "$(node_name 1)"; then
            ctl "$i" stop_app >/dev/null
            ctl "$i" join_cluster "$(node_name 1)" >/dev/null
            ctl "$i" start_app >/dev/null
        fi
    done
    log "cluster of $(node_name 1), $(node_name 2), $(node_name 3) running"
    ;;
start)
    start_node "$2"
    await_node "$2"
    ;;
kill9)
    kill9_node "$2"
    ;;
ctl)
    shift
    ctl "$@"
    ;;
down)
    for i in 3 2 1; do
        pidfile="$(node_dir "$i")/rabbitmq.pid"
        if [ -s "$pidfile" ] && kill -0 "$(tr -dc '0-9' <"$pidfile")" 2>/dev/null; then
            ctl "$i" stop "$pidfile" >/dev/null 2>&1 || kill -KILL "$(tr -dc '0-9' <"$pidfile")" 2>/dev/null || true
            log "node $(node_name "$i") stopped"
        fi
    done
    ;;
destroy)
    for i in 1 2 3; do
        pidfile="$(node_dir "$i")/rabbitmq.pid"
        if [ -s "$pidfile" ] && kill -0 "$(tr -dc '0-9' <"$pidfile")" 2>/dev/null; then kill9_node "$i"; fi
    done
    sleep 0.5  # a killed node's helpers (erl_child_setup) finish writing first
    rm -rf "$DIR"
    ;;
*)
    echo "usage: rabbitmq-cluster.sh up|start <i>|kill9 <i>|ctl <i> <args>|down|destroy" >&2
    exit 2
    ;;
esac
