#!/usr/bin/env bash
# What the UI browser tests need: Debian's Chromium (Playwright cannot download its own here) and
# axe-core, the accessibility checker they inject into each page, installed from npm into the
# project's own var/node (never a global path), pinned so every machine checks the same rules.
set -euo pipefail
cd "$(dirname "$0")/.."
AXE_VERSION=4.14.1
AXE_DIR=var/node

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium chromium-driver)
command -v npm >/dev/null || need_apt+=(npm)
if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "The UI tests need Debian's ${need_apt[*]}: run 'sudo apt-get install ${need_apt[*]}'." >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

installed=$(node -p "require('./$AXE_DIR/node_modules/axe-core/package.json').version" 2>/dev/null || true)
if [ "$installed" != "$AXE_VERSION" ]; then
  mkdir -p "$AXE_DIR"
  npm install --prefix "$AXE_DIR" --no-save --no-audit --no-fund --silent "axe-core@$AXE_VERSION"
fi
