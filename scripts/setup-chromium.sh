#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests (test/integration/webui.test.ts,
# backtest-report-html.test.ts) and scripts/demo-screenshots.ts, which drive it with puppeteer-core.
# From apt only: nothing downloads a browser at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/steps.sh
STEP_PREFIX=setup-chromium
if [[ -x /usr/bin/chromium ]]; then
  step_cached "chromium" "Debian's, at /usr/bin/chromium"
  exit 0
fi
sudo_if_needed() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
step "apt-get update" "the package lists: under a minute" sudo_if_needed apt-get update -qq
step "installing chromium from Debian (apt-get)" "about 300 MB with its libraries: a few minutes" \
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
/usr/bin/chromium --version
