#!/usr/bin/env bash
# Installs the production cluster's parts as plain programs, project-locally (git-ignored):
#   .tools/cluster/<versions>/bin/temporal-server     go.temporal.io/server/cmd/server
#   .tools/cluster/<versions>/bin/temporal-sql-tool   go.temporal.io/server/cmd/tools/sql
#   .tools/cluster/<versions>/bin/temporal-ui-server  github.com/temporalio/ui-server/v2/cmd/server
#   .tools/cluster/<versions>/schema/                 the server module's SQL schema files
#   .tools/cluster/<versions>/ui-config/              the UI module's config (docker.yaml: the image's)
# at the versions docker-compose.yml pins (scripts/cluster-versions.sh), built from the Go module
# proxy, and PostgreSQL from the distribution (apt-get, when run as root and it is missing).
# Cached by version: a second run finds every part and the stamp, and returns. The server build
# takes 5-11 minutes and ~2.6 GB of memory on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/cluster-versions.sh
source scripts/steps.sh
STEP_PREFIX=setup-cluster
stamp="$CLUSTER_TOOLS/installed"
want="server=$TEMPORAL_VERSION ui=$TEMPORAL_UI_VERSION"
bin="$CLUSTER_TOOLS/bin"

postgres_bindir() {
  local d; for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -nr); do
    [[ -x "$d/initdb" ]] && { echo "$d"; return; }
  done
  return 1
}
if ! postgres_bindir >/dev/null; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    step "apt-get update" "the package lists: under a minute" apt-get update -qq
    step "installing PostgreSQL from the distribution (apt-get)" "about 50 MB: a minute or two" \
      env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
  else
    echo "setup-cluster: PostgreSQL is not installed; install it (Debian: sudo apt-get install -y postgresql)" >&2
    exit 1
  fi
fi
echo "setup-cluster: PostgreSQL in $(postgres_bindir)"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  step_cached "$want" "in $CLUSTER_TOOLS; delete it to rebuild"
  exit 0
fi
command -v go >/dev/null 2>&1 || { echo "setup-cluster: Go is needed to build the Temporal server (https://go.dev/dl)" >&2; exit 1; }
started=$SECONDS
mkdir -p "$bin"
moddir() { go mod download -json "$1" | sed -nE 's/^[[:space:]]*"Dir": "(.*)",?$/\1/p'; }
# go install writes binaries named after their package directory (server, sql): one GOBIN each
build() { # <module path>@<version> <installed name>
  local tmp; tmp="$(mktemp -d "$CLUSTER_TOOLS/gobin.XXXXXX")"
  GOBIN="$tmp" go install "$1"
  mv -f "$tmp"/* "$bin/$2"
  rm -rf "$tmp"
}
part() { # <installed name> <module path>@<version> <what it is> <how long it may take>
  if [[ -x "$bin/$1" ]]; then step_cached "$1" "in $bin, from an earlier run"; return; fi
  step "building $1 $3 (go install)" "$4" build "$2" "$1"
}
# the UI server first: it takes seconds, and a failure in it should not wait for the server's build
part temporal-ui-server "github.com/temporalio/ui-server/v2/cmd/server@v$TEMPORAL_UI_VERSION" "$TEMPORAL_UI_VERSION" \
  "a minute or two; Go's module cache makes a rebuild quicker"
part temporal-server "go.temporal.io/server/cmd/server@v$TEMPORAL_VERSION" "$TEMPORAL_VERSION" \
  "the long one: 5-11 min and ~2.6 GB of memory on 2 quiet cores, longer on a busy machine"
part temporal-sql-tool "go.temporal.io/server/cmd/tools/sql@v$TEMPORAL_VERSION" "$TEMPORAL_VERSION" \
  "a minute or two: it shares most of the server's build cache"
# files that ship with the modules: the schema (the admin-tools image's /etc/temporal/schema) and
# the UI server's config templates (the ui image renders config/docker.yaml from its environment)
rm -rf "$CLUSTER_TOOLS/schema" "$CLUSTER_TOOLS/ui-config"
cp -r "$(moddir "go.temporal.io/server@v$TEMPORAL_VERSION")/schema" "$CLUSTER_TOOLS/schema"
mkdir -p "$CLUSTER_TOOLS/ui-config"
cp "$(moddir "github.com/temporalio/ui-server/v2@v$TEMPORAL_UI_VERSION")"/config/{base,docker}.yaml "$CLUSTER_TOOLS/ui-config/"
chmod -R u+w "$CLUSTER_TOOLS/schema" "$CLUSTER_TOOLS/ui-config"
echo "$want" > "$stamp"
echo "setup-cluster: $want ready in $CLUSTER_TOOLS ($(step_elapsed $((SECONDS - started))) in all)"
