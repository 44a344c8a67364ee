#!/usr/bin/env bash
# Fails when packages/proto/src/gen differs from what proto/ generates now.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
bash "$root/scripts/generate-proto.sh" "$tmp/gen"
if ! diff -ru "$root/packages/proto/src/gen" "$tmp/gen" >"$tmp/diff"; then
  head -40 "$tmp/diff" >&2
  echo "packages/proto/src/gen is stale: run 'npm run generate' and commit the result" >&2
  exit 1
fi
echo "generated code is up to date"
