#!/usr/bin/env bash
# Debian's Chromium and ChromeDriver drive the UI tests; Playwright cannot download its own here.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "The UI tests need Debian's chromium: run 'sudo apt-get install chromium chromium-driver'." >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
