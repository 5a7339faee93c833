#!/bin/sh
# Installs what the dashboard browser test needs: Debian's chromium (and a
# CJK font so screenshots show Chinese text) and playwright-core (driver
# only, no bundled browser download) into tests/web/node_modules.
#
#   sudo tests/web/setup.sh && cargo test --test web_ui
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if ! [ -x /usr/bin/chromium ]; then
    apt-get update
    apt-get install -y --no-install-recommends chromium fonts-wqy-zenhei
fi
command -v node >/dev/null 2>&1 || apt-get install -y --no-install-recommends nodejs npm
cd "$here"
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
