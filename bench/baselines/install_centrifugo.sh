#!/usr/bin/env bash
# Build the pinned Centrifugo baseline into bench/.bin/centrifugo (idempotent, low priority).
#
# `go install github.com/centrifugal/centrifugo/v5@v5.4.9` is tried first. Where the module
# proxy answers 403 to the @v/list lookup go install makes, the module is fetched with
# `go mod download -json` and built from a writable copy of its sources.
set -euo pipefail

VERSION="${CENTRIFUGO_VERSION:-v5.4.9}"
MODULE="github.com/centrifugal/centrifugo/v5"
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN_DIR="$BENCH_DIR/.bin"
BIN="$BIN_DIR/centrifugo"
LOG="$BIN_DIR/centrifugo-build.log"

mkdir -p "$BIN_DIR"
if [ -x "$BIN" ] && "$BIN" version 2>/dev/null | grep -q "${VERSION#v}"; then
    echo "centrifugo $VERSION already built: $BIN"
    exit 0
fi
command -v go >/dev/null 2>&1 || { echo "go is not installed; the Centrifugo baseline is skipped" >&2; exit 1; }

export GOFLAGS=-buildvcs=false GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
# nice: other work shares this machine; the build may take a few minutes on 2 cores.
if (cd /tmp && GOBIN="$BIN_DIR" nice -n 19 go install "$MODULE@$VERSION") >"$LOG" 2>&1; then
    echo "centrifugo $VERSION installed with go install: $BIN"
    exit 0
fi
echo "go install failed (see $LOG); building from the downloaded module sources"
dir="$(cd /tmp && go mod download -json "$MODULE@$VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')"
work="$(mktemp -d)"
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cp -r "$dir" "$work/src"
chmod -R u+w "$work/src"
(cd "$work/src" && nice -n 19 go build -ldflags "-X $MODULE/internal/build.Version=${VERSION#v}" -o "$BIN" .) >>"$LOG" 2>&1
echo "centrifugo $VERSION built from sources: $BIN"
