#!/bin/sh
# Creates the namespace and Dynamic Executor's search attributes (the names and types of
# src/workflows/searchAttributes.ts; a test keeps the two in step). Idempotent: what exists is left
# alone. docker compose runs it in temporalio/admin-tools (service temporal-setup); the
# plain-process cluster (`npm run cluster`) runs this very file with the project's Temporal CLI.
set -eu
: "${TEMPORAL_ADDRESS:=temporal:7233}" "${TEMPORAL_NAMESPACE:=default}"
export TEMPORAL_ADDRESS
# NAME:Type, as src/workflows/searchAttributes.ts declares them
attributes="Symbol:Keyword TradeStatus:Keyword TradingMode:Keyword PortfolioStatus:Keyword"

# retry <what> <command...>: up to 60 tries 2 s apart
retry() {
  what="$1"; shift
  tries=0
  until "$@" >/dev/null 2>&1; do
    tries=$((tries + 1)); [ "$tries" -lt 60 ] || { echo "$what: gave up after $tries tries"; "$@"; exit 1; }
    sleep 2
  done
}

echo "waiting for the Temporal server at $TEMPORAL_ADDRESS ..."
retry "Temporal server health" temporal operator cluster health

temporal operator namespace describe -n "$TEMPORAL_NAMESPACE" >/dev/null 2>&1 \
  || temporal operator namespace create -n "$TEMPORAL_NAMESPACE" --retention 30d
# A new namespace reaches the server's other services through their namespace caches, seconds
# later: until then, search attributes and workflows on it fail with "namespace not found".
# Listing its workflows goes through that cache, so it succeeds once the namespace is usable.
echo "waiting for namespace $TEMPORAL_NAMESPACE to be visible ..."
retry "namespace $TEMPORAL_NAMESPACE visible" temporal workflow count -n "$TEMPORAL_NAMESPACE"

# created, or already there (a retry after an answer that got lost)
create_attribute() {
  out="$(temporal operator search-attribute create -n "$TEMPORAL_NAMESPACE" --name "$1" --type "$2" 2>&1)" \
    || printf '%s' "$out" | grep -qi 'already exists'
}

existing="$(temporal operator search-attribute list -n "$TEMPORAL_NAMESPACE")"
for attr in $attributes; do
  name="${attr%%:*}"; type="${attr#*:}"
  if printf '%s\n' "$existing" | grep -Eq "^[[:space:]]*$name[[:space:]]"; then
    echo "search attribute $name exists"
  else
    retry "search attribute $name" create_attribute "$name" "$type"
    echo "search attribute $name created"
  fi
done
# the same delay for the attributes: a query that names them all succeeds once workflows can use them
probe=""
for attr in $attributes; do probe="${probe:+$probe AND }${attr%%:*} = 'probe'"; done
echo "waiting for the search attributes to be usable ..."
retry "search attributes usable" temporal workflow count -n "$TEMPORAL_NAMESPACE" --query "$probe"
echo "namespace $TEMPORAL_NAMESPACE and search attributes ready"
