# Sourced, not run: the versions of the production cluster's parts, read from docker-compose.yml
# (the one place they are pinned), so the plain-process cluster runs what compose runs.
#   TEMPORAL_VERSION     temporalio/server image = go.temporal.io/server module
#   TEMPORAL_UI_VERSION  temporalio/ui image     = github.com/temporalio/ui-server/v2 module
#   POSTGRESQL_VERSION   postgres image (the harness uses the distribution's PostgreSQL; see deploy/README.md)
# and CLUSTER_TOOLS, the directory the Go builds are installed in (.tools/cluster/<server version>).
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_compose_default() { # the default in "${NAME:-default}" in docker-compose.yml
  local v
  v="$(grep -oE "\\$\\{$1:-[^}]+\\}" "$_root/docker-compose.yml" | head -n1 | sed -E "s/^\\$\\{$1:-(.*)\\}$/\\1/")"
  [[ -n "$v" ]] || { echo "cluster-versions: docker-compose.yml pins no \${$1:-...}" >&2; return 1; }
  printf '%s' "$v"
}
TEMPORAL_VERSION="$(_compose_default TEMPORAL_VERSION)"
TEMPORAL_UI_VERSION="$(_compose_default TEMPORAL_UI_VERSION)"
POSTGRESQL_VERSION="$(_compose_default POSTGRESQL_VERSION)"
CLUSTER_TOOLS="$_root/.tools/cluster/server-$TEMPORAL_VERSION-ui-$TEMPORAL_UI_VERSION"
export TEMPORAL_VERSION TEMPORAL_UI_VERSION POSTGRESQL_VERSION CLUSTER_TOOLS
unset -f _compose_default
unset _root
