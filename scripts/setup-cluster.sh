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
    echo "setup-cluster: installing PostgreSQL from the distribution"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "setup-cluster: PostgreSQL is not installed; install it (Debian: sudo apt-get install -y postgresql)" >&2
    exit 1
  fi
fi
echo "setup-cluster: PostgreSQL in $(postgres_bindir)"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "setup-cluster: $want already in $CLUSTER_TOOLS"
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
# the UI server first: it takes seconds, and a failure in it should not wait for the server's build
[[ -x "$bin/temporal-ui-server" ]] || build "github.com/temporalio/ui-server/v2/cmd/server@v$TEMPORAL_UI_VERSION" temporal-ui-server
[[ -x "$bin/temporal-server" ]] || build "go.temporal.io/server/cmd/server@v$TEMPORAL_VERSION" temporal-server
[[ -x "$bin/temporal-sql-tool" ]] || build "go.temporal.io/server/cmd/tools/sql@v$TEMPORAL_VERSION" temporal-sql-tool
# files that ship with the modules: the schema (the admin-tools image's /etc/temporal/schema) and
# the UI server's config templates (the ui image renders config/docker.yaml from its environment)
rm -rf "$CLUSTER_TOOLS/schema" "$CLUSTER_TOOLS/ui-config"
cp -r "$(moddir "go.temporal.io/server@v$TEMPORAL_VERSION")/schema" "$CLUSTER_TOOLS/schema"
mkdir -p "$CLUSTER_TOOLS/ui-config"
cp "$(moddir "github.com/temporalio/ui-server/v2@v$TEMPORAL_UI_VERSION")"/config/{base,docker}.yaml "$CLUSTER_TOOLS/ui-config/"
chmod -R u+w "$CLUSTER_TOOLS/schema" "$CLUSTER_TOOLS/ui-config"
echo "$want" > "$stamp"
echo "setup-cluster: $want ready in $CLUSTER_TOOLS ($((SECONDS - started)) s)"
