#!/usr/bin/env bash
# Installs Docker Compose v2 as a docker CLI plugin in .tools/docker/cli-plugins (git-ignored), so
# that `DOCKER_CONFIG=.tools/docker docker compose config` can check docker-compose.yml on machines
# without a Docker engine (CI). Built from the Go module proxy: no binary download at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/steps.sh
STEP_PREFIX=setup-compose
COMPOSE_VERSION="v2.32.4"
plugin=".tools/docker/cli-plugins/docker-compose"
if [[ -x "$plugin" && -f "$plugin.version" && "$(cat "$plugin.version")" == "$COMPOSE_VERSION" ]]; then
  step_cached "Docker Compose $COMPOSE_VERSION" "in $plugin; delete it to rebuild"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "setup-compose: Go is not installed; docker-compose.yml will only be checked structurally" >&2
  exit 0
fi
mkdir -p .tools/go/bin .tools/docker/cli-plugins
step "building Docker Compose $COMPOSE_VERSION with go install (Go module proxy)" \
  "several minutes on 2 cores the first time; Go's module and build caches make a rebuild quicker" \
  env GOBIN="$PWD/.tools/go/bin" GOFLAGS=-mod=mod go install "github.com/docker/compose/v2/cmd@${COMPOSE_VERSION}"
cp .tools/go/bin/cmd "$plugin"
echo "$COMPOSE_VERSION" > "$plugin.version"
echo "setup-compose: Docker Compose $COMPOSE_VERSION installed in $plugin"
