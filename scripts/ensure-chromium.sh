#!/usr/bin/env bash
# The console's browser test drives a real Chromium (chromedp); this makes
# sure one is there, installing Debian's package only where it is missing.
# COUNTERSIGN_CHROME names another binary to use instead.
set -euo pipefail
if [ -n "${COUNTERSIGN_CHROME:-}" ]; then
  exit 0 # the test uses the given browser
fi
for b in chromium chromium-browser google-chrome google-chrome-stable; do
  if command -v "$b" >/dev/null 2>&1; then
    exit 0
  fi
done
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "chromium missing: installing Debian's chromium package (the console's browser test needs it)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
  exit 0
fi
echo "chromium is not installed: install it (apt-get install chromium) or set COUNTERSIGN_CHROME to a Chrome/Chromium binary" >&2
exit 1
