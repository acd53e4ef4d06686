#!/usr/bin/env bash
# deploy/infra/up.sh — make RabbitMQ (with the management API), Redis and a
# MongoDB-wire server reachable on localhost. Run by `make infra` from the repo root.
#
# For each server, in this order:
#   1. if something already answers at its configured URL, it is used as is;
#   2. else, if a Docker engine answers, `docker compose up -d` its service from
#      docker-compose.yml (rabbitmq, redis, mongo);
#   3. else the Debian packages are installed if missing (rabbitmq-server,
#      redis-server; FerretDB is built with Go) and the server is started as a
#      background daemon owned by this checkout: data, logs and pid files live
#      under <repo>/.infra/ and deploy/infra/down.sh stops exactly those.
# Then it waits (bounded) until every server answers a real protocol request and
# prints one line per server; it exits non-zero naming any server that does not.
#
# Idempotent: a second run finds everything answering and says "already running".
# A second clone on the same machine simply uses the servers of the first one.
#
# Configuration (environment, same defaults as the services):
#   PARLEY_AMQP_URL             amqp://guest:guest@127.0.0.1:5672/
#   PARLEY_AMQP_MANAGEMENT_URL  http://guest:guest@127.0.0.1:15672/
#   PARLEY_REDIS_URL            redis://127.0.0.1:6379/0
#   PARLEY_MONGO_URL            mongodb://127.0.0.1:27017/
#   PARLEY_INFRA_DIR            <repo>/.infra
#   PARLEY_INFRA_NO_DOCKER=1    never use Docker even if an engine answers
#   PARLEY_INFRA_RABBITMQ_WAIT  seconds to wait for RabbitMQ (90)
#   PARLEY_INFRA_WAIT           seconds to wait for Redis / MongoDB (30)
#   PARLEY_FERRETDB_BIN         use this ferretdb binary instead of finding/building one
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
INFRA_DIR="${PARLEY_INFRA_DIR:-$REPO_ROOT/.infra}"

AMQP_URL="${PARLEY_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/}"
MGMT_URL="${PARLEY_AMQP_MANAGEMENT_URL:-http://guest:guest@127.0.0.1:15672/}"
REDIS_URL="${PARLEY_REDIS_URL:-redis://127.0.0.1:6379/0}"
MONGO_URL="${PARLEY_MONGO_URL:-mongodb://127.0.0.1:27017/}"

RABBITMQ_WAIT="${PARLEY_INFRA_RABBITMQ_WAIT:-90}"
OTHER_WAIT="${PARLEY_INFRA_WAIT:-30}"

FERRETDB_VERSION="v1.24.2"
FERRETDB_MODULE="github.com/FerretDB/FerretDB"
# Go toolchain FerretDB v1.24.2 needs (its go.mod says go 1.24 / toolchain go1.24.3).
GO_TOOLCHAIN_VERSION="go1.24.3"

RABBITMQ_LIBEXEC="/usr/lib/rabbitmq/bin"   # Debian: the real scripts, not the su-wrappers in /usr/sbin

log() { printf 'infra: %s\n' "$*"; }
warn() { printf 'infra: WARNING: %s\n' "$*" >&2; }
die() { printf 'infra: ERROR: %s\n' "$*" >&2; exit 1; }

command -v python3 >/dev/null 2>&1 || die "python3 is required (apt-get install python3)"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
fi

# ---------------------------------------------------------------------------
# URL parsing and protocol probes (python3 standard library only)
# ---------------------------------------------------------------------------

# url_fields <url> <default-port> -> prints shell assignments HOST PORT USER PASS
url_fields() {
    python3 - "$1" "$2" <<'PY'
import shlex, sys, urllib.parse
url, default_port = sys.argv[1], int(sys.argv[2])
scheme, _, rest = url.partition("://")
netloc = rest.split("/", 1)[0].split("?", 1)[0]
userinfo, _, hosts = netloc.rpartition("@")
first = hosts.split(",")[0]                      # mongodb URLs may list several hosts
parts = urllib.parse.urlsplit("x://" + first)
user, _, password = userinfo.partition(":")
for k, v in (("HOST", parts.hostname or "127.0.0.1"), ("PORT", parts.port or default_port),
             ("USER", urllib.parse.unquote(user)), ("PASS", urllib.parse.unquote(password))):
    print(f"{k}={shlex.quote(str(v))}")
PY
}

# probe <amqp|mgmt|redis|mongo> <url>: exit 0 if a real server of that kind answers.
probe() {
    python3 - "$1" "$2" <<'PY' >/dev/null 2>&1
import base64, json, socket, struct, sys, urllib.parse, urllib.request
kind, url = sys.argv[1], sys.argv[2]
TIMEOUT = 3.0

def endpoint(default_port):
    netloc = url.partition("://")[2].split("/", 1)[0].split("?", 1)[0]
    userinfo, _, hosts = netloc.rpartition("@")
    p = urllib.parse.urlsplit("x://" + hosts.split(",")[0])
    user, _, pw = userinfo.partition(":")
    return p.hostname or "127.0.0.1", p.port or default_port, urllib.parse.unquote(user), urllib.parse.unquote(pw)

def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf

if kind == "amqp":
    host, port, _, _ = endpoint(5672)
    with socket.create_connection((host, port), TIMEOUT) as s:
        s.settimeout(TIMEOUT)
        s.sendall(b"AMQP\x00\x00\x09\x01")
        ftype, _chan, size = struct.unpack(">BHI", recv_exact(s, 7))
        cls, meth = struct.unpack(">HH", recv_exact(s, 4))
        sys.exit(0 if (ftype, cls, meth) == (1, 10, 10) else 1)   # connection.start

elif kind == "mgmt":
    p = urllib.parse.urlsplit(url)
    base = f"{p.scheme}://{p.hostname}:{p.port or 15672}{p.path or '/'}"
    if not base.endswith("/"):
        base += "/"
    req = urllib.request.Request(base + "api/overview")
    user = urllib.parse.unquote(p.username or "guest")
    pw = urllib.parse.unquote(p.password or "guest")
    req.add_header("Authorization", "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode())
    with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
        body = json.load(r)
    sys.exit(0 if r.status == 200 and "rabbitmq_version" in body else 1)

elif kind == "redis":
    host, port, user, pw = endpoint(6379)
    with socket.create_connection((host, port), TIMEOUT) as s:
        s.settimeout(TIMEOUT)
        f = s.makefile("rb")
        def cmd(*args):
            s.sendall(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a.encode()), a.encode()) for a in args))
            return f.readline()
        if pw:
            if not cmd("AUTH", *([user] if user else []), pw).startswith(b"+OK"):
                sys.exit(1)
        sys.exit(0 if cmd("PING").startswith(b"+PONG") else 1)

elif kind == "mongo":
    host, port, _, _ = endpoint(27017)
    def cstr(x): return x.encode() + b"\x00"
    body = (b"\x10" + cstr("hello") + struct.pack("<i", 1)
            + b"\x02" + cstr("$db") + struct.pack("<i", 6) + cstr("admin"))
    doc = struct.pack("<i", len(body) + 5) + body + b"\x00"
    payload = struct.pack("<I", 0) + b"\x00" + doc                       # OP_MSG: flags, section kind 0
    msg = struct.pack("<iiii", 16 + len(payload), 1, 0, 2013) + payload
    with socket.create_connection((host, port), TIMEOUT) as s:
        s.settimeout(TIMEOUT)
        s.sendall(msg)
        length, _rid, _to, opcode = struct.unpack("<iiii", recv_exact(s, 16))
        rest = recv_exact(s, length - 16)
    if opcode != 2013:
        sys.exit(1)
    i = rest.find(b"\x01ok\x00")
    sys.exit(0 if i >= 0 and struct.unpack("<d", rest[i + 4:i + 12])[0] == 1.0 else 1)

sys.exit(2)
PY
}

is_local_host() {
    case "$1" in
        127.*|localhost|::1|0.0.0.0|"$(hostname 2>/dev/null || echo localhost)") return 0 ;;
        *) return 1 ;;
    esac
}

# pid_alive <pidfile>: the pid in that file names a live process.
pid_alive() {
    local pid
    [ -s "$1" ] || return 1
    pid="$(tr -dc '0-9' <"$1")"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

eval "$(url_fields "$AMQP_URL" 5672 | sed 's/^/AMQP_/')"
eval "$(url_fields "$MGMT_URL" 15672 | sed 's/^/MGMT_/')"
eval "$(url_fields "$REDIS_URL" 6379 | sed 's/^/REDIS_/')"
eval "$(url_fields "$MONGO_URL" 27017 | sed 's/^/MONGO_/')"

RABBIT_DIR="$INFRA_DIR/rabbitmq"
REDIS_DIR="$INFRA_DIR/redis"
FERRET_DIR="$INFRA_DIR/ferretdb"
RABBIT_NODE="parley-${AMQP_PORT}@localhost"   # unique per port: a node name can only run once per host
RABBIT_PIDFILE="$RABBIT_DIR/rabbitmq.pid"         # the Erlang VM (written by the node once booting)
RABBIT_LAUNCHER_PIDFILE="$RABBIT_DIR/launcher.pid" # its parent script, alive as long as the node
REDIS_PIDFILE="$REDIS_DIR/redis.pid"
FERRET_PIDFILE="$FERRET_DIR/ferretdb.pid"

rabbit_ok() { probe amqp "$AMQP_URL" && probe mgmt "$MGMT_URL"; }
redis_ok() { probe redis "$REDIS_URL"; }
mongo_ok() { probe mongo "$MONGO_URL"; }

# ---------------------------------------------------------------------------
# Installing
# ---------------------------------------------------------------------------

APT_UPDATED=0
apt_install() {
    command -v apt-get >/dev/null 2>&1 || die "cannot install $*: no apt-get on this machine; install it by hand"
    if [ "$APT_UPDATED" -eq 0 ]; then
        log "apt-get update"
        $SUDO apt-get update -qq
        APT_UPDATED=1
    fi
    log "apt-get install $*"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

GO=""
# ensure_go: sets GO to a go binary able to build FerretDB (>= 1.24 or able to fetch it).
ensure_go() {
    local cand ver minor
    for cand in "$(command -v go 2>/dev/null || true)" /usr/local/go/bin/go "$INFRA_DIR/tools/go/bin/go"; do
        [ -n "$cand" ] && [ -x "$cand" ] || continue
        ver="$("$cand" env GOVERSION 2>/dev/null || true)"          # e.g. go1.26.8
        minor="$(printf '%s' "$ver" | sed -n 's/^go1\.\([0-9]*\).*/\1/p')"
        [ -n "$minor" ] || continue
        if [ "$minor" -ge 24 ]; then GO="$cand"; return 0; fi
        if [ "$minor" -ge 21 ]; then
            # go >= 1.21 fetches the toolchain FerretDB needs from the module proxy itself.
            export GOTOOLCHAIN="$GO_TOOLCHAIN_VERSION"; GO="$cand"; return 0
        fi
    done
    # No usable Go (Debian 12's golang-go is 1.19, too old): fetch the official toolchain,
    # which the Go module proxy serves as the module golang.org/toolchain.
    local arch proxy
    case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64|arm64) arch=arm64 ;; *) die "no Go toolchain for $(uname -m)" ;; esac
    proxy="${GOPROXY:-https://proxy.golang.org}"; proxy="${proxy%%,*}"
    case "$proxy" in http*) ;; *) proxy="https://proxy.golang.org" ;; esac
    log "no usable Go found: fetching $GO_TOOLCHAIN_VERSION from $proxy (module golang.org/toolchain)"
    mkdir -p "$INFRA_DIR/tools"
    python3 - "$proxy/golang.org/toolchain/@v/v0.0.1-$GO_TOOLCHAIN_VERSION.linux-$arch.zip" "$INFRA_DIR/tools" <<'PY'
import io, os, shutil, sys, urllib.request, zipfile
url, dest = sys.argv[1], sys.argv[2]
data = urllib.request.urlopen(url, timeout=300).read()
tmp = os.path.join(dest, "go.tmp")
shutil.rmtree(tmp, ignore_errors=True)
with zipfile.ZipFile(io.BytesIO(data)) as z:
    for info in z.infolist():
        # entries are "golang.org/toolchain@v0.0.1-goX.Y.Z.linux-ARCH/<path>"
        _, _, name = info.filename.partition("@")
        name = name.partition("/")[2]
        if not name or name.endswith("/"):
            continue
        path = os.path.join(tmp, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with z.open(info) as src, open(path, "wb") as out:
            shutil.copyfileobj(src, out)
        mode = (info.external_attr >> 16) & 0o777
        os.chmod(path, mode or 0o644)
shutil.rmtree(os.path.join(dest, "go"), ignore_errors=True)
os.rename(tmp, os.path.join(dest, "go"))
PY
    GO="$INFRA_DIR/tools/go/bin/go"
    export GOTOOLCHAIN=local
    [ -x "$GO" ] || die "failed to unpack the Go toolchain into $INFRA_DIR/tools/go"
}

# grep reads all of --version's output (no -q): with -q it could exit at the first match while
# ferretdb still writes, and the SIGPIPE that ferretdb then gets fails the pipeline (pipefail):
# a working binary taken for broken, rebuilt under a concurrent run's feet.
ferretdb_works() { [ -n "$1" ] && [ -x "$1" ] && "$1" --version 2>/dev/null | grep '^version: v' >/dev/null; }

FERRETDB_BIN=""
# The binary is built from the module sources with every deploy/infra/ferretdb-*.patch applied
# in name order (each says why), under a name of its own that changes with the patches: an
# unpatched ferretdb elsewhere on the machine (PATH, ~/go/bin/ferretdb), or one built with
# fewer patches, is not picked up by mistake. bench/privatedb.py derives the same name.
FERRETDB_PATCHES=()
while IFS= read -r found; do FERRETDB_PATCHES+=("$found"); done \
    < <(LC_ALL=C ls "$REPO_ROOT"/deploy/infra/ferretdb-*.patch | LC_ALL=C sort)
FERRETDB_PATCHES_SUM="$(cat "${FERRETDB_PATCHES[@]}" | sha256sum | cut -c1-8)"
FERRETDB_BUILD_NAME="ferretdb-$FERRETDB_VERSION-parley-$FERRETDB_PATCHES_SUM"

# ensure_ferretdb: sets FERRETDB_BIN to a working ferretdb binary, building it if needed.
ensure_ferretdb() {
    local gobin buildlog
    if ferretdb_works "${PARLEY_FERRETDB_BIN:-}"; then FERRETDB_BIN="$PARLEY_FERRETDB_BIN"; return 0; fi
    gobin="${GOPATH:-$HOME/go}/bin"
    if ferretdb_works "$gobin/$FERRETDB_BUILD_NAME"; then FERRETDB_BIN="$gobin/$FERRETDB_BUILD_NAME"; return 0; fi
    ensure_go
    gobin="$("$GO" env GOPATH)/bin"
    mkdir -p "$gobin" "$FERRET_DIR"
    buildlog="$FERRET_DIR/build.log"
    if ferretdb_works "$gobin/$FERRETDB_BUILD_NAME"; then FERRETDB_BIN="$gobin/$FERRETDB_BUILD_NAME"; return 0; fi
    log "building FerretDB $FERRETDB_VERSION (patched) with $("$GO" env GOVERSION) (about a minute the first time; log: $buildlog)"
    : >"$buildlog"
    # Built from the module sources, not with `go install ...@v1.24.2`, which does not work for
    # FerretDB:
    #  - the module proxy answers 403 to the @v/list lookup go install makes to check
    #    for deprecation, so the install fails outright;
    #  - even when it builds, a binary built straight from the module sources panics at
    #    start, because build/version/version.txt (normally generated by FerretDB's own
    #    build tooling) is missing from the module zip;
    #  - and the patch has to be applied.
    # So: download the module, copy it somewhere writable, patch it, write version.txt, build.
    command -v patch >/dev/null 2>&1 || apt_install patch
    local json dir tmp
    json="$(cd /tmp && "$GO" mod download -json "$FERRETDB_MODULE@$FERRETDB_VERSION" 2>>"$buildlog")" \
        || { tail -n 20 "$buildlog" >&2; die "go mod download $FERRETDB_MODULE@$FERRETDB_VERSION failed (log: $buildlog)"; }
    dir="$(printf '%s' "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')"
    tmp="$(mktemp -d)"
    cp -a "$dir" "$tmp/src"
    chmod -R u+w "$tmp/src"
    local one
    for one in "${FERRETDB_PATCHES[@]}"; do
        if ! (cd "$tmp/src" && patch -p1 --forward --batch <"$one") >>"$buildlog" 2>&1; then
            rm -rf "$tmp"; tail -n 20 "$buildlog" >&2
            die "$one does not apply to FerretDB $FERRETDB_VERSION (log: $buildlog)"
        fi
    done
    echo "$FERRETDB_VERSION" >"$tmp/src/build/version/version.txt"
    # Built beside its final name and renamed into place (atomic): a concurrent run (the chaos
    # suite starts brokers of its own) never executes a half-written binary.
    if ! (cd "$tmp/src" && GOFLAGS=-buildvcs=false "$GO" build -o "$gobin/$FERRETDB_BUILD_NAME.building.$$" ./cmd/ferretdb) >>"$buildlog" 2>&1; then
        rm -rf "$tmp" "$gobin/$FERRETDB_BUILD_NAME.building.$$"; tail -n 20 "$buildlog" >&2
        die "building FerretDB failed (log: $buildlog)"
    fi
    mv -f "$gobin/$FERRETDB_BUILD_NAME.building.$$" "$gobin/$FERRETDB_BUILD_NAME"
    rm -rf "$tmp"
    ferretdb_works "$gobin/$FERRETDB_BUILD_NAME" || die "the FerretDB binary built at $gobin/$FERRETDB_BUILD_NAME does not run (log: $buildlog)"
    FERRETDB_BIN="$gobin/$FERRETDB_BUILD_NAME"
}

# ---------------------------------------------------------------------------
# Starting our own daemons under .infra/
# ---------------------------------------------------------------------------

# rabbit_env: environment of our own node (call in a subshell); down.sh uses the same
# HOME (Erlang cookie), node name and env file.
rabbit_env() {
    cd "$RABBIT_DIR"
    export HOME="$RABBIT_DIR"
    export RABBITMQ_NODENAME="$RABBIT_NODE"
    export RABBITMQ_MNESIA_BASE="$RABBIT_DIR/mnesia"
    export RABBITMQ_LOG_BASE="$RABBIT_DIR/log"
    export RABBITMQ_PID_FILE="$RABBIT_PIDFILE"
    export RABBITMQ_ENABLED_PLUGINS_FILE="$RABBIT_DIR/enabled_plugins"
    export RABBITMQ_CONFIG_FILE="$RABBIT_DIR/rabbitmq.conf"
    export RABBITMQ_ADVANCED_CONFIG_FILE="$RABBIT_DIR/advanced.config"
    export RABBITMQ_CONF_ENV_FILE="$RABBIT_DIR/rabbitmq-env.conf"
    export RABBITMQ_DIST_PORT="$((AMQP_PORT + 20000))"
    # Keep Erlang distribution and epmd (if this node starts it) on loopback only.
    export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
    export ERL_EPMD_ADDRESS="127.0.0.1"
}

start_rabbitmq() {
    [ -x "$RABBITMQ_LIBEXEC/rabbitmq-server" ] || die "RabbitMQ is not installed at $RABBITMQ_LIBEXEC"
    mkdir -p "$RABBIT_DIR/mnesia" "$RABBIT_DIR/log"
    rm -f "$RABBIT_PIDFILE" "$RABBIT_LAUNCHER_PIDFILE"
    printf '%s\n' "$RABBIT_NODE" >"$RABBIT_DIR/nodename"
    # Plugins enabled offline, through our own enabled_plugins file.
    printf '[rabbitmq_management,rabbitmq_prometheus].\n' >"$RABBIT_DIR/enabled_plugins"
    # Our own (empty) env file so /etc/rabbitmq/rabbitmq-env.conf does not apply.
    : >"$RABBIT_DIR/rabbitmq-env.conf"
    local user="${AMQP_USER:-guest}" pass="${AMQP_PASS:-guest}"
    cat >"$RABBIT_DIR/rabbitmq.conf" <<EOF
# written by deploy/infra/up.sh
listeners.tcp.local = 127.0.0.1:$AMQP_PORT
management.tcp.ip = 127.0.0.1
management.tcp.port = $MGMT_PORT
prometheus.tcp.ip = 127.0.0.1
prometheus.tcp.port = $((MGMT_PORT + 20))
default_user = $user
default_pass = $pass
EOF
    log "starting RabbitMQ node $RABBIT_NODE (data and logs in $RABBIT_DIR)"
    (
        rabbit_env
        setsid nohup "$RABBITMQ_LIBEXEC/rabbitmq-server" >"$RABBIT_DIR/log/startup.log" 2>&1 </dev/null &
        echo $! >"$RABBIT_LAUNCHER_PIDFILE"
    )
}

start_redis() {
    command -v redis-server >/dev/null 2>&1 || die "redis-server is not installed"
    mkdir -p "$REDIS_DIR"
    rm -f "$REDIS_PIDFILE"
    local args=(--bind 127.0.0.1 --port "$REDIS_PORT" --dir "$REDIS_DIR" --daemonize yes
                --pidfile "$REDIS_PIDFILE" --logfile "$REDIS_DIR/redis.log" --save "" --appendonly no)
    if [ -n "$REDIS_PASS" ]; then args+=(--requirepass "$REDIS_PASS"); fi
    log "starting redis-server on 127.0.0.1:$REDIS_PORT (data and log in $REDIS_DIR)"
    redis-server "${args[@]}" >>"$REDIS_DIR/redis.log" 2>&1 || die "redis-server failed to start; read $REDIS_DIR/redis.log"
}

start_ferretdb() {
    mkdir -p "$FERRET_DIR/data" "$FERRET_DIR/state"
    rm -f "$FERRET_PIDFILE"
    log "starting FerretDB $FERRETDB_VERSION (SQLite) on 127.0.0.1:$MONGO_PORT (data and log in $FERRET_DIR)"
    (
        cd "$FERRET_DIR"
        setsid nohup "$FERRETDB_BIN" \
            --handler=sqlite --sqlite-url="file:$FERRET_DIR/data/" \
            --listen-addr="127.0.0.1:$MONGO_PORT" --state-dir="$FERRET_DIR/state" \
            --telemetry=disable --debug-addr=- --log-level=warn --log-format=text \
            >>"$FERRET_DIR/ferretdb.log" 2>&1 </dev/null &
        echo $! >"$FERRET_PIDFILE"
    )
}

# ---------------------------------------------------------------------------
# Docker
# ---------------------------------------------------------------------------

COMPOSE=()
docker_engine_ok() {
    [ "${PARLEY_INFRA_NO_DOCKER:-0}" != "1" ] || return 1
    command -v docker >/dev/null 2>&1 || return 1
    timeout 15 docker info >/dev/null 2>&1 || return 1
    if docker compose version >/dev/null 2>&1; then
        COMPOSE=(docker compose)
    elif command -v docker-compose >/dev/null 2>&1; then
        COMPOSE=(docker-compose)
    else
        return 1
    fi
}

# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

mkdir -p "$INFRA_DIR"
declare -A STATE   # server -> "already running" | "starting" | "ours, booting" | "compose" | "remote"

decide() {  # decide <name> <ok-fn> <host> <pidfile>
    local name="$1" okfn="$2" host="$3" pidfile="$4"
    if "$okfn"; then
        STATE[$name]="already running"
    elif [ -n "$pidfile" ] && pid_alive "$pidfile"; then
        STATE[$name]="ours, booting"          # started by an earlier run, not answering yet
    elif ! is_local_host "$host"; then
        STATE[$name]="remote"                 # cannot start a server on another host
    else
        STATE[$name]="needed"
    fi
}

# RabbitMQ answering AMQP but not the management API (tests need it): if the node is
# local, enable the plugins on it — ours through our own env, any other local node (e.g.
# the Debian system node rabbit@<host>) through Debian's rabbitmq-plugins wrapper.
rabbit_enable_mgmt_if_needed() {
    probe amqp "$AMQP_URL" && ! probe mgmt "$MGMT_URL" && is_local_host "$AMQP_HOST" || return 0
    if pid_alive "$RABBIT_LAUNCHER_PIDFILE"; then
        log "RabbitMQ node $RABBIT_NODE answers AMQP but not the management API: enabling rabbitmq_management"
        ( rabbit_env; timeout 120 "$RABBITMQ_LIBEXEC/rabbitmq-plugins" -n "$RABBIT_NODE" enable rabbitmq_management rabbitmq_prometheus ) \
            || warn "rabbitmq-plugins enable failed on $RABBIT_NODE"
    elif command -v rabbitmq-plugins >/dev/null 2>&1; then
        log "the local RabbitMQ answers AMQP but not the management API: enabling rabbitmq_management on it"
        timeout 120 rabbitmq-plugins enable rabbitmq_management rabbitmq_prometheus \
            || warn "rabbitmq-plugins enable failed; enable rabbitmq_management on the node at $AMQP_HOST:$AMQP_PORT by hand"
    else
        warn "rabbitmq-plugins not found; enable rabbitmq_management on the node at $AMQP_HOST:$AMQP_PORT by hand"
    fi
}

rabbit_decide() {
    # A node still booting answers AMQP a little before the management API: give it a moment.
    if probe amqp "$AMQP_URL" && ! probe mgmt "$MGMT_URL"; then
        for _ in $(seq 1 10); do probe mgmt "$MGMT_URL" && break; sleep 1; done
        probe mgmt "$MGMT_URL" || rabbit_enable_mgmt_if_needed
    fi
    decide rabbitmq rabbit_ok "$AMQP_HOST" "$RABBIT_LAUNCHER_PIDFILE"
    # Something answers AMQP (not ours): it is used as is; we only wait for its management API.
    if [ "${STATE[rabbitmq]}" = "needed" ] && probe amqp "$AMQP_URL"; then
        STATE[rabbitmq]="already running"
    fi
}

rabbit_decide
decide redis redis_ok "$REDIS_HOST" "$REDIS_PIDFILE"
decide mongo mongo_ok "$MONGO_HOST" "$FERRET_PIDFILE"

needed=()
for s in rabbitmq redis mongo; do
    if [ "${STATE[$s]}" = "needed" ]; then needed+=("$s"); fi
done

if [ "${#needed[@]}" -gt 0 ] && docker_engine_ok; then
    log "Docker engine found: ${COMPOSE[*]} up -d ${needed[*]}"
    (cd "$REPO_ROOT" && "${COMPOSE[@]}" up -d "${needed[@]}")
    for s in "${needed[@]}"; do
        STATE[$s]="compose"
        grep -qx "$s" "$INFRA_DIR/compose-services" 2>/dev/null || echo "$s" >>"$INFRA_DIR/compose-services"
    done
    needed=()
fi

if [ "${#needed[@]}" -gt 0 ]; then
    pkgs=()
    for s in "${needed[@]}"; do
        case "$s" in
            rabbitmq) [ -x "$RABBITMQ_LIBEXEC/rabbitmq-server" ] || pkgs+=(rabbitmq-server) ;;
            redis) command -v redis-server >/dev/null 2>&1 || pkgs+=(redis-server) ;;
        esac
    done
    if [ "${#pkgs[@]}" -gt 0 ]; then
        apt_install "${pkgs[@]}"
        # The Debian postinst may have started the system daemons on the default ports
        # (where an init system / invoke-rc.d allows it): if they answer now, use them.
        for s in "${pkgs[@]}"; do
            case "$s" in
                rabbitmq-server) sleep 2; rabbit_decide ;;
                redis-server) sleep 1; decide redis redis_ok "$REDIS_HOST" "$REDIS_PIDFILE" ;;
            esac
        done
    fi
    if [ "${STATE[mongo]}" = "needed" ]; then ensure_ferretdb; fi
    if [ "${STATE[rabbitmq]}" = "needed" ]; then start_rabbitmq; STATE[rabbitmq]="starting"; fi
    if [ "${STATE[redis]}" = "needed" ]; then start_redis; STATE[redis]="starting"; fi
    if [ "${STATE[mongo]}" = "needed" ]; then start_ferretdb; STATE[mongo]="starting"; fi
fi

# ---------------------------------------------------------------------------
# Wait until every server answers
# ---------------------------------------------------------------------------

wait_for() {  # wait_for <okfn> <seconds> [pidfile]: also gives up early if that process died
    local okfn="$1" deadline=$((SECONDS + $2)) pidfile="${3:-}"
    while ! "$okfn"; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        if [ -n "$pidfile" ] && [ -s "$pidfile" ] && ! pid_alive "$pidfile"; then
            sleep 1; "$okfn"; return
        fi
        sleep 1
    done
}

# pid file to watch while waiting: only for a server this run started.
watch_pid() {  # watch_pid <state> <pidfile>
    case "$1" in starting|"ours, booting") echo "$2" ;; *) echo "" ;; esac
}

describe() {  # describe <state> <logs> <pidfile>: how a server came to be answering
    case "$1" in
        "already running")
            if pid_alive "$3"; then echo "already running, started by up.sh, logs in $2"
            else echo "already running"; fi ;;
        starting) echo "started by up.sh, logs in $2" ;;
        "ours, booting") echo "started by an earlier up.sh, logs in $2" ;;
        compose) echo "docker compose service" ;;
        remote) echo "remote" ;;
        *) echo "$1" ;;
    esac
}

failed=()
t0=$SECONDS
if wait_for rabbit_ok "$RABBITMQ_WAIT" "$(watch_pid "${STATE[rabbitmq]}" "$RABBIT_LAUNCHER_PIDFILE")"; then
    log "rabbitmq  OK  $AMQP_HOST:$AMQP_PORT, management $MGMT_HOST:$MGMT_PORT ($(describe "${STATE[rabbitmq]}" "$RABBIT_DIR/log" "$RABBIT_LAUNCHER_PIDFILE"), $((SECONDS - t0))s)"
else
    what="AMQP at $AMQP_HOST:$AMQP_PORT"
    probe amqp "$AMQP_URL" && what="management API at $MGMT_URL (AMQP answers; is rabbitmq_management enabled?)"
    case "${STATE[rabbitmq]}" in
        starting|"ours, booting") hint="; read $RABBIT_DIR/log/startup.log and $RABBIT_DIR/log/$RABBIT_NODE.log" ;;
        compose) hint="; see: ${COMPOSE[*]} logs rabbitmq" ;;
        remote) hint="; $AMQP_HOST is not this machine, so up.sh cannot start it" ;;
        *) hint="" ;;
    esac
    printf 'infra: ERROR: rabbitmq does not answer: %s (waited up to %ss)%s\n' "$what" "$RABBITMQ_WAIT" "$hint" >&2
    failed+=(rabbitmq)
fi

t0=$SECONDS
if wait_for redis_ok "$OTHER_WAIT" "$(watch_pid "${STATE[redis]}" "$REDIS_PIDFILE")"; then
    log "redis     OK  $REDIS_HOST:$REDIS_PORT ($(describe "${STATE[redis]}" "$REDIS_DIR/redis.log" "$REDIS_PIDFILE"), $((SECONDS - t0))s)"
else
    case "${STATE[redis]}" in
        starting|"ours, booting") hint="; read $REDIS_DIR/redis.log" ;;
        compose) hint="; see: ${COMPOSE[*]} logs redis" ;;
        remote) hint="; $REDIS_HOST is not this machine, so up.sh cannot start it" ;;
        *) hint="" ;;
    esac
    printf 'infra: ERROR: redis does not answer PING at %s:%s (waited up to %ss)%s\n' "$REDIS_HOST" "$REDIS_PORT" "$OTHER_WAIT" "$hint" >&2
    failed+=(redis)
fi

t0=$SECONDS
if wait_for mongo_ok "$OTHER_WAIT" "$(watch_pid "${STATE[mongo]}" "$FERRET_PIDFILE")"; then
    log "mongo     OK  $MONGO_HOST:$MONGO_PORT ($(describe "${STATE[mongo]}" "$FERRET_DIR/ferretdb.log" "$FERRET_PIDFILE"), $((SECONDS - t0))s)"
else
    case "${STATE[mongo]}" in
        starting|"ours, booting") hint="; read $FERRET_DIR/ferretdb.log" ;;
        compose) hint="; see: ${COMPOSE[*]} logs mongo" ;;
        remote) hint="; $MONGO_HOST is not this machine, so up.sh cannot start it" ;;
        *) hint="" ;;
    esac
    printf 'infra: ERROR: MongoDB-wire server does not answer hello at %s:%s (waited up to %ss)%s\n' "$MONGO_HOST" "$MONGO_PORT" "$OTHER_WAIT" "$hint" >&2
    failed+=(mongo)
fi

if [ "${#failed[@]}" -gt 0 ]; then
    die "not answering: ${failed[*]}"
fi
log "all infrastructure servers answer"
