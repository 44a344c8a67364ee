#!/usr/bin/env bash
# Generates packages/proto/src/gen from proto/ with ts-proto. The one code
# generator of the repo; scripts/check-generated.sh fails CI when its output is stale.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/packages/proto/src/gen}"
command -v protoc >/dev/null || { echo "protoc not found: apt-get install protobuf-compiler" >&2; exit 1; }
rm -rf "$out" && mkdir -p "$out"
cd "$root/proto"
protoc \
  --plugin=protoc-gen-ts_proto="$root/node_modules/.bin/protoc-gen-ts_proto" \
  --ts_proto_out="$out" \
  --ts_proto_opt=outputServices=grpc-js,esModuleInterop=true,importSuffix=.js,oneof=unions-value,forceLong=number,env=node,outputJsonMethods=false,outputPartialMethods=false,useOptionals=messages,exportCommonSymbols=false,outputTypeRegistry=false,initializeFieldsAsUndefined=false \
  $(find . -name '*.proto' | sort)
