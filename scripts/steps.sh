# Sourced, not run: the progress lines of the setup scripts. A long step says what runs and how long
# it may take when it starts, and how long it took when it ends; a step skipped because its result is
# cached says so and where. In a log (CI, a pipe) these are plain lines, nothing else. On a terminal
# the running step's elapsed time ticks in place on one line, and the step's own output goes to a log
# file that is shown when the step fails (a ticking line and a build's output would garble each other).
#
#   STEP_PREFIX=setup-cluster
#   step "building temporal-server" "5-11 min on 2 cores" some_command args...
#   step_cached "temporal-server" "in .tools/cluster/.../bin"
#
# The command runs as a background job that is waited for: a command (or shell function) run inside
# `cmd || rc=$?` would run with `set -e` switched off, and a failing build would carry on.

STEP_PREFIX="${STEP_PREFIX:-setup}"

# "7 s", "6 min 12 s"
step_elapsed() {
  local s="$1"
  if (( s < 60 )); then echo "$s s"; else echo "$((s / 60)) min $((s % 60)) s"; fi
}

step_ticking() { [[ -t 1 && -z "${CI:-}" ]]; }

step() { # <what> <how long it may take> <command> [args...]
  local what="$1" hint="$2"; shift 2
  local t0 rc=0; t0="$(date +%s)"
  echo "${STEP_PREFIX}: ${what} (${hint}) ..."
  if step_ticking; then
    local log; log="$(mktemp "${TMPDIR:-/tmp}/${STEP_PREFIX}.XXXXXX.log")"
    "$@" >"$log" 2>&1 &
    local job=$!
    ( while sleep 1; do printf '\r\033[K  %s: %s' "$what" "$(step_elapsed $(( $(date +%s) - t0 )))"; done ) &
    local ticker=$!
    wait "$job" || rc=$?
    kill "$ticker" 2>/dev/null || true
    wait "$ticker" 2>/dev/null || true
    printf '\r\033[K'
    if (( rc != 0 )); then
      tail -n 40 "$log" >&2
      echo "${STEP_PREFIX}: the whole output of that step: $log" >&2
    else
      rm -f "$log"
    fi
  else
    "$@" &
    wait $! || rc=$?
  fi
  local took; took="$(step_elapsed $(( $(date +%s) - t0 )))"
  if (( rc == 0 )); then
    echo "${STEP_PREFIX}: ${what}: done in ${took}"
  else
    echo "${STEP_PREFIX}: ${what}: FAILED after ${took} (exit code ${rc})" >&2
  fi
  return "$rc"
}

step_cached() { # <what> <where it is cached, and how to redo it>
  echo "${STEP_PREFIX}: ${1}: cached, skipped (${2})"
}
