#!/usr/bin/env bash
# Install toxiproxy-server (pinned) into "$(go env GOPATH)/bin" unless it is already there, then
# print its path on stdout (and nothing else on stdout: `TOXIPROXY=$(toxiproxy.sh)`).
# The chaos tests (tests/chaos) put it between the services and their brokers to inject latency
# and connection cuts.
#
# Idempotent: a second run finds the binary, checks its version and only prints the path.
# Needs Go. Override the pin with TOXIPROXY_VERSION=v2.x.y.
#
# The module's command lives in cmd/server, so `go install` would name the binary "server": we
# build with -o instead. As for kustomize.sh, the module is fetched with `go mod download` of
# the exact version (no @v/list lookup, which the module proxy here sometimes refuses) and
# built from a writable copy of its sources.
set -euo pipefail

TOXIPROXY_VERSION="${TOXIPROXY_VERSION:-v2.12.0}"
MODULE="github.com/Shopify/toxiproxy/v2"

log() { echo "toxiproxy.sh: $*" >&2; }

GO="${GO:-$(command -v go || true)}"
if [[ -z "${GO}" && -x /usr/local/go/bin/go ]]; then
  GO=/usr/local/go/bin/go
fi
if [[ -z "${GO}" ]]; then
  log "Go is required (https://go.dev/dl/); set GO=/path/to/go"
  exit 1
fi

GOBIN_DIR="$("${GO}" env GOPATH | cut -d: -f1)/bin"
TARGET="${GOBIN_DIR}/toxiproxy-server"

installed_version() {
  # `toxiproxy-server -version` prints "toxiproxy-server version v2.12.0".
  "${TARGET}" -version 2>/dev/null | awk '{print $NF}'
}

if [[ -x "${TARGET}" && "$(installed_version)" == "${TOXIPROXY_VERSION}" ]]; then
  echo "${TARGET}"
  exit 0
fi

mkdir -p "${GOBIN_DIR}"
log "building ${MODULE}@${TOXIPROXY_VERSION} into ${TARGET}"
WORK="$(mktemp -d)"
trap 'chmod -R u+w "${WORK}" 2>/dev/null; rm -rf "${WORK}"' EXIT
MOD_DIR="$(cd "${WORK}" && "${GO}" mod download -json "${MODULE}@${TOXIPROXY_VERSION}" \
  | sed -n 's/^[[:space:]]*"Dir":[[:space:]]*"\(.*\)",\{0,1\}$/\1/p')"
if [[ -z "${MOD_DIR}" || ! -d "${MOD_DIR}" ]]; then
  log "go mod download did not return a module directory"
  exit 1
fi
# The module cache is read-only; build from a writable copy (go may need to write go.sum).
mkdir -p "${WORK}/src"
cp -R "${MOD_DIR}/." "${WORK}/src/"
chmod -R u+w "${WORK}/src"
# The version is stamped the way upstream's release build does it.
LDFLAGS="-X ${MODULE}.Version=${TOXIPROXY_VERSION}"
(cd "${WORK}/src" && GOFLAGS="${GOFLAGS:-} -mod=mod -buildvcs=false" "${GO}" build -ldflags "${LDFLAGS}" -o "${TARGET}" ./cmd/server >&2)

if [[ "$(installed_version)" != "${TOXIPROXY_VERSION}" ]]; then
  log "build finished but ${TARGET} does not report ${TOXIPROXY_VERSION}"
  exit 1
fi
log "installed toxiproxy-server ${TOXIPROXY_VERSION}"
echo "${TARGET}"
