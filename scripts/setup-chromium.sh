#!/usr/bin/env bash
# Installs Debian's chromium for the report.html browser test (test/integration/backtest-report-html.test.ts),
# which drives it with puppeteer-core. From apt only: nothing downloads a browser at run time.
set -euo pipefail
if [[ -x /usr/bin/chromium ]]; then
  exit 0
fi
sudo_if_needed() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
sudo_if_needed apt-get update
sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
/usr/bin/chromium --version
