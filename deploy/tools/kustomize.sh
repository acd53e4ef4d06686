#!/usr/bin/env bash
# Install kustomize (pinned) into "$(go env GOPATH)/bin" unless it is already there, then print
# its path on stdout (and nothing else on stdout, so callers can do `KUSTOMIZE=$(kustomize.sh)`).
#
# Idempotent: a second run finds the binary, checks its version and only prints the path.
# Needs Go. Override the pin with KUSTOMIZE_VERSION=v5.x.y.
#
# Why the fallback: on some networks `go install module@version` fails with
# "loading deprecation ... 403 Forbidden" because the module proxy refuses the @v/list
# request that go install makes to look for deprecation notices. `go mod download` of the
# exact version does not need that list, so we download the module and build it from a
# writable copy of its source directory instead.
set -euo pipefail

KUSTOMIZE_VERSION="${KUSTOMIZE_VERSION:-v5.4.3}"
MODULE="sigs.k8s.io/kustomize/kustomize/v5"

log() { echo "kustomize.sh: $*" >&2; }

GO="${GO:-$(command -v go || true)}"
if [[ -z "${GO}" && -x /usr/local/go/bin/go ]]; then
  GO=/usr/local/go/bin/go
fi
if [[ -z "${GO}" ]]; then
  log "Go is required (https://go.dev/dl/); set GO=/path/to/go"
  exit 1
fi

GOBIN_DIR="$("${GO}" env GOPATH | cut -d: -f1)/bin"
TARGET="${GOBIN_DIR}/kustomize"

installed_version() {
  # `kustomize version` prints e.g. "v5.4.3" (older releases printed a struct; treat as stale).
  "${TARGET}" version 2>/dev/null | head -n1 | tr -d '[:space:]'
}

if [[ -x "${TARGET}" && "$(installed_version)" == "${KUSTOMIZE_VERSION}" ]]; then
  echo "${TARGET}"
  exit 0
fi

mkdir -p "${GOBIN_DIR}"
log "installing ${MODULE}@${KUSTOMIZE_VERSION} into ${GOBIN_DIR}"

# The version is stamped into the binary the same way the upstream release build does it,
# so `kustomize version` reports the pin in both paths.
LDFLAGS="-X sigs.k8s.io/kustomize/api/provenance.version=${KUSTOMIZE_VERSION}"

if GOBIN="${GOBIN_DIR}" "${GO}" install -ldflags "${LDFLAGS}" "${MODULE}@${KUSTOMIZE_VERSION}" >&2; then
  :
else
  log "go install failed; falling back to go mod download + go build"
  WORK="$(mktemp -d)"
  trap 'chmod -R u+w "${WORK}" 2>/dev/null; rm -rf "${WORK}"' EXIT
  MOD_DIR="$(cd "${WORK}" && "${GO}" mod download -json "${MODULE}@${KUSTOMIZE_VERSION}" \
    | sed -n 's/^[[:space:]]*"Dir":[[:space:]]*"\(.*\)",\{0,1\}$/\1/p')"
  if [[ -z "${MOD_DIR}" || ! -d "${MOD_DIR}" ]]; then
    log "go mod download did not return a module directory"
    exit 1
  fi
  # The module cache is read-only; build from a writable copy (go may need to write go.sum).
  mkdir -p "${WORK}/src"
  cp -R "${MOD_DIR}/." "${WORK}/src/"
  chmod -R u+w "${WORK}/src"
  (cd "${WORK}/src" && GOFLAGS="${GOFLAGS:-} -mod=mod" "${GO}" build -ldflags "${LDFLAGS}" -o "${TARGET}" . >&2)
fi

if [[ ! -x "${TARGET}" ]]; then
  log "build finished but ${TARGET} is missing"
  exit 1
fi
log "installed $("${TARGET}" version 2>/dev/null | head -n1)"
echo "${TARGET}"
