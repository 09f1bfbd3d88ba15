#!/usr/bin/env bash
# Tests start their own redis-server on a free port; this makes sure the
# binary is there, installing Debian's package only where it is missing.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then
  exit 0
fi
if [ -n "${COUNTERSIGN_REDIS_URL:-}" ]; then
  exit 0 # tests use the given server
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "redis-server missing: installing Debian's redis-server package" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  exit 0
fi
echo "redis-server is not installed: install it (apt-get install redis-server, brew install redis) or set COUNTERSIGN_REDIS_URL" >&2
exit 1
