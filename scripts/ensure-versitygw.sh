#!/usr/bin/env bash
# The S3 target's tests run against a real S3-compatible server: versitygw
# (a Go S3 gateway; its POSIX backend serves a temp dir). This installs the
# pinned version from the Go module proxy into .tools/bin when it is missing.
# Tests find it there, on PATH, or at COUNTERSIGN_VERSITYGW.
set -euo pipefail
VERSION="${VERSITYGW_VERSION:-v1.8.0}"
cd "$(dirname "$0")/.."
dir="$PWD/.tools/bin"
if [ -n "${COUNTERSIGN_VERSITYGW:-}" ] && [ -x "$COUNTERSIGN_VERSITYGW" ]; then
  exit 0
fi
if [ -x "$dir/versitygw" ] && [ "$(cat "$dir/versitygw.version" 2>/dev/null)" = "$VERSION" ]; then
  exit 0
fi
mkdir -p "$dir"
echo "versitygw missing: installing github.com/versity/versitygw@$VERSION into .tools/bin" >&2
GOBIN="$dir" GOFLAGS=-mod=mod GOWORK=off go install "github.com/versity/versitygw/cmd/versitygw@$VERSION"
echo "$VERSION" > "$dir/versitygw.version"
