#!/bin/sh
# One-shot (temporalio/admin-tools): creates the namespace and Dynamic Executor's search attributes
# (the names and types of src/workflows/searchAttributes.ts; a test keeps the two in step).
# Idempotent: what exists is left alone.
set -eu
: "${TEMPORAL_ADDRESS:=temporal:7233}" "${TEMPORAL_NAMESPACE:=default}"
export TEMPORAL_ADDRESS

echo "waiting for the Temporal server at $TEMPORAL_ADDRESS ..."
tries=0
until temporal operator cluster health >/dev/null 2>&1; do
  tries=$((tries + 1)); [ "$tries" -lt 60 ] || { echo "Temporal server did not become healthy"; exit 1; }
  sleep 2
done

temporal operator namespace describe -n "$TEMPORAL_NAMESPACE" >/dev/null 2>&1 \
  || temporal operator namespace create -n "$TEMPORAL_NAMESPACE" --retention 30d

existing="$(temporal operator search-attribute list -n "$TEMPORAL_NAMESPACE")"
for attr in Symbol:Keyword TradeStatus:Keyword TradingMode:Keyword; do
  name="${attr%%:*}"; type="${attr#*:}"
  if printf '%s\n' "$existing" | grep -Eq "^[[:space:]]*$name[[:space:]]"; then
    echo "search attribute $name exists"
  else
    temporal operator search-attribute create -n "$TEMPORAL_NAMESPACE" --name "$name" --type "$type"
  fi
done
echo "namespace $TEMPORAL_NAMESPACE and search attributes ready"
