# Sourced, not run: exports TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH.
# Order: what the caller set, the project's pinned copy in .tools/py, then whatever is on PATH.
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ -z "${TEMPORAL_CLI_PATH:-}" ]]; then
  if [[ -x "$_root/.tools/py/bin/temporal" ]]; then export TEMPORAL_CLI_PATH="$_root/.tools/py/bin/temporal"
  elif command -v temporal >/dev/null 2>&1; then export TEMPORAL_CLI_PATH="$(command -v temporal)"; fi
fi
if [[ -z "${TEMPORAL_TEST_SERVER_PATH:-}" && -x "$_root/.tools/py/bin/temporal-test-server" ]]; then
  export TEMPORAL_TEST_SERVER_PATH="$_root/.tools/py/bin/temporal-test-server"
fi
unset _root
