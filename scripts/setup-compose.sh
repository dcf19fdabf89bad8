#!/usr/bin/env bash
# Installs Docker Compose v2 as a docker CLI plugin in .tools/docker/cli-plugins (git-ignored), so
# that `DOCKER_CONFIG=.tools/docker docker compose config` can check docker-compose.yml on machines
# without a Docker engine (CI). Built from the Go module proxy: no binary download at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
COMPOSE_VERSION="v2.32.4"
plugin=".tools/docker/cli-plugins/docker-compose"
if [[ -x "$plugin" && -f "$plugin.version" && "$(cat "$plugin.version")" == "$COMPOSE_VERSION" ]]; then
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "setup-compose: Go is not installed; docker-compose.yml will only be checked structurally" >&2
  exit 0
fi
mkdir -p .tools/go/bin .tools/docker/cli-plugins
GOBIN="$PWD/.tools/go/bin" GOFLAGS=-mod=mod go install "github.com/docker/compose/v2/cmd@${COMPOSE_VERSION}"
cp .tools/go/bin/cmd "$plugin"
echo "$COMPOSE_VERSION" > "$plugin.version"
