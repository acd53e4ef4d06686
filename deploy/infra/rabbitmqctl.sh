#!/usr/bin/env bash
# Run rabbitmqctl against the RabbitMQ node deploy/infra/up.sh started for this checkout
# (its Erlang cookie lives under .infra/rabbitmq). Used by the outage and chaos tests:
#   bash deploy/infra/rabbitmqctl.sh stop_app    # the broker goes away, the node stays
#   bash deploy/infra/rabbitmqctl.sh start_app
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RABBIT_DIR="${PARLEY_INFRA_DIR:-$REPO_ROOT/.infra}/rabbitmq"
if [ ! -f "$RABBIT_DIR/nodename" ]; then
    echo "rabbitmqctl.sh: no RabbitMQ node of this checkout ($RABBIT_DIR/nodename missing)" >&2
    exit 3
fi
export HOME="$RABBIT_DIR"
exec /usr/lib/rabbitmq/bin/rabbitmqctl -n "$(cat "$RABBIT_DIR/nodename")" "$@"
