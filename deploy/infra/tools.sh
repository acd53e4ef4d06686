#!/usr/bin/env bash
# deploy/infra/tools.sh — install the command-line tools the test suite needs besides the
# servers (those are deploy/infra/up.sh's job), only when missing:
#   docker-compose  (Debian package; `docker-compose config` validates docker-compose.yml)
#   promtool        (Debian package prometheus; checks the Prometheus rules and config)
#   chromium, chromedriver (Debian packages chromium, chromium-driver; the browser tests drive
#                   /usr/bin/chromium with Playwright: no browser download)
#   node, npm       (Debian packages nodejs, npm; the front-end's tools, frontend/package.json;
#                   node 20 or newer: `bash deploy/infra/tools.sh node npm` installs just those)
# Idempotent: does nothing, not even `apt-get update`, when everything is present.
# --no-install-recommends: docker-compose would otherwise pull in the docker.io engine and
# prometheus the node exporter, neither of which the tests need.
set -euo pipefail

log() { printf 'tools: %s\n' "$*"; }

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

# command -> Debian package
declare -A PACKAGE_OF=(
    [docker-compose]=docker-compose
    [promtool]=prometheus
    [chromium]=chromium
    [chromedriver]=chromium-driver
    [node]=nodejs
    [npm]=npm
)
# Arguments: only these commands (the Makefile's frontend-deps asks for node and npm alone).
if [ "$#" -gt 0 ]; then COMMANDS=("$@"); else COMMANDS=(docker-compose promtool chromium chromedriver node npm); fi

missing=()
for cmd in "${COMMANDS[@]}"; do
    if command -v "$cmd" >/dev/null 2>&1; then
        log "$cmd: present ($(command -v "$cmd"))"
    else
        missing+=("${PACKAGE_OF[$cmd]}")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    printf 'tools: ERROR: missing %s and no apt-get here; install them by hand\n' "${missing[*]}" >&2
    exit 1
fi

log "installing ${missing[*]}"
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"

for cmd in "${COMMANDS[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 || { printf 'tools: ERROR: %s still missing after install\n' "$cmd" >&2; exit 1; }
done
log "installed ${missing[*]}"
