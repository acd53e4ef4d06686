#!/usr/bin/env bash
# deploy/infra/down.sh — stop only the infrastructure servers deploy/infra/up.sh started
# from this checkout: the daemons whose pid files live under <repo>/.infra/, and the
# docker compose services listed in .infra/compose-services. Servers it did not start
# (system daemons, another clone's servers) are never touched. Idempotent. Data under
# .infra/ is kept; delete the directory by hand for a clean slate.
#
# epmd (Erlang's port mapper, started by the first Erlang node on the machine) is left
# running: other Erlang nodes may rely on it and it holds no data.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
INFRA_DIR="${PARLEY_INFRA_DIR:-$REPO_ROOT/.infra}"
RABBITMQ_LIBEXEC="/usr/lib/rabbitmq/bin"

log() { printf 'infra: %s\n' "$*"; }
warn() { printf 'infra: WARNING: %s\n' "$*" >&2; }

# read_pid <pidfile>: print the pid if the file names a live process.
read_pid() {
    local pid
    [ -s "$1" ] || return 1
    pid="$(tr -dc '0-9' <"$1")"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && printf '%s' "$pid"
}

# pid_is <pid> <pattern>: the process command line matches (guards against pid reuse).
pid_is() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -- "$2" >/dev/null; }  # no -q: see up.sh's ferretdb_works

# wait_gone <pid> <seconds>
wait_gone() {
    local pid="$1" deadline=$((SECONDS + $2))
    while kill -0 "$pid" 2>/dev/null; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.5
    done
}

# stop_pid <name> <pidfile> <cmdline-pattern> <seconds>: SIGTERM, then SIGKILL after the wait.
stop_pid() {
    local name="$1" pidfile="$2" pattern="$3" secs="$4" pid
    if ! pid="$(read_pid "$pidfile")"; then
        [ -e "$pidfile" ] && rm -f "$pidfile"
        log "$name: not running (nothing started by up.sh)"
        return 0
    fi
    if ! pid_is "$pid" "$pattern"; then
        warn "$name: pid $pid from $pidfile is not $pattern any more; leaving it alone"
        rm -f "$pidfile"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_gone "$pid" "$secs"; then
        warn "$name: pid $pid did not stop within ${secs}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        wait_gone "$pid" 5 || true
    fi
    rm -f "$pidfile"
    log "$name: stopped (pid $pid)"
}

stop_rabbitmq() {
    local d="$INFRA_DIR/rabbitmq" pidfile="$INFRA_DIR/rabbitmq/rabbitmq.pid" node pid launcher
    if ! pid="$(read_pid "$pidfile")"; then
        # Still booting (the node writes its pid file a little after start)? up.sh started
        # the launcher script with setsid, so its process group is exactly that node.
        if launcher="$(read_pid "$d/launcher.pid")" && pid_is "$launcher" rabbitmq-server; then
            kill -TERM -- "-$launcher" 2>/dev/null || true
            wait_gone "$launcher" 30 || kill -KILL -- "-$launcher" 2>/dev/null || true
            rm -f "$pidfile" "$d/launcher.pid"
            log "rabbitmq: stopped the booting node (process group $launcher)"
            return 0
        fi
        rm -f "$pidfile" "$d/launcher.pid"
        log "rabbitmq: not running (nothing started by up.sh)"
        return 0
    fi
    if ! pid_is "$pid" "beam"; then
        warn "rabbitmq: pid $pid from $pidfile is not an Erlang VM any more; leaving it alone"
        rm -f "$pidfile" "$d/launcher.pid"
        return 0
    fi
    node="$(cat "$d/nodename" 2>/dev/null || echo parley-5672@localhost)"
    # Same HOME (Erlang cookie) and env file as up.sh used to start the node.
    if [ -x "$RABBITMQ_LIBEXEC/rabbitmqctl" ] && (
        cd "$d"
        export HOME="$d" RABBITMQ_CONF_ENV_FILE="$d/rabbitmq-env.conf"
        timeout 60 "$RABBITMQ_LIBEXEC/rabbitmqctl" -n "$node" stop "$pidfile"
    ) >/dev/null 2>&1; then
        :
    else
        warn "rabbitmq: rabbitmqctl -n $node stop failed; stopping pid $pid with SIGTERM"
        kill -TERM "$pid" 2>/dev/null || true
    fi
    if ! wait_gone "$pid" 30; then
        warn "rabbitmq: pid $pid did not stop within 30s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        wait_gone "$pid" 5 || true
    fi
    rm -f "$pidfile" "$d/launcher.pid"
    log "rabbitmq: stopped node $node (pid $pid)"
}

stop_compose() {
    local f="$INFRA_DIR/compose-services" services=() compose=()
    [ -s "$f" ] || return 0
    mapfile -t services <"$f"
    if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
        compose=(docker compose)
    elif command -v docker-compose >/dev/null 2>&1; then
        compose=(docker-compose)
    else
        warn "compose services ${services[*]} were started by up.sh but no docker compose is available to stop them"
        return 0
    fi
    if (cd "$REPO_ROOT" && "${compose[@]}" stop "${services[@]}" && "${compose[@]}" rm -f "${services[@]}"); then
        rm -f "$f"
        log "docker compose: stopped ${services[*]}"
    else
        warn "docker compose: could not stop ${services[*]} (is the Docker engine running?)"
    fi
}

stop_rabbitmq
stop_pid redis "$INFRA_DIR/redis/redis.pid" redis-server 30
stop_pid ferretdb "$INFRA_DIR/ferretdb/ferretdb.pid" ferretdb 30
stop_compose
