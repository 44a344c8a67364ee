#!/usr/bin/env bash
# Builds the Go interop examples (examples/go) with the system Go toolchain in
# GOPATH mode, against Debian's packaged go-plugin and grpc-go: no module
# downloads. Go code for proto/plugboard/plugin/v1/plugin.proto is generated
# at build time with protoc + protoc-gen-go (APIv1, plugins=grpc) and never
# checked in.
#
#   bash scripts/build-go.sh [outdir]     # default outdir: .go-build/bin
#
# Produces plugboard-go-header-guard (a Go plugin) and plugboard-go-host (a
# go-plugin host). Everything else lands in .go-build/ (gitignored).
# Needs: apt-get install golang-go protobuf-compiler golang-goprotobuf-dev \
#          golang-google-grpc-dev golang-github-hashicorp-go-plugin-dev
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
outdir="${1:-$root/.go-build/bin}"
mkdir -p "$outdir"
outdir="$(cd "$outdir" && pwd)"
work="$root/.go-build"
gopath="$work/gopath"
system_gopath="${PLUGBOARD_SYSTEM_GOPATH:-/usr/share/gocode}"
apt_hint="install them with: apt-get install golang-go protobuf-compiler golang-goprotobuf-dev golang-google-grpc-dev golang-github-hashicorp-go-plugin-dev"

missing=()
command -v go >/dev/null 2>&1 || missing+=("go (golang-go)")
command -v protoc >/dev/null 2>&1 || missing+=("protoc (protobuf-compiler)")
command -v protoc-gen-go >/dev/null 2>&1 || missing+=("protoc-gen-go (golang-goprotobuf-dev)")
for pkg in github.com/hashicorp/go-plugin google.golang.org/grpc github.com/golang/protobuf/proto; do
  [ -d "$system_gopath/src/$pkg" ] || missing+=("Go package $pkg in $system_gopath")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "build-go.sh: cannot build the Go examples; missing:" >&2
  printf '  - %s\n' "${missing[@]}" >&2
  echo "$apt_hint" >&2
  exit 1
fi

mkdir -p "$work"
# One build at a time per checkout (the GOPATH tree below is rebuilt each time).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$work/build.lock"
  flock 9
fi

export GO111MODULE=off
export GOPATH="$gopath:$system_gopath"
export GOCACHE="$work/cache"
export GOFLAGS=""
export GOPROXY=off
# Static binaries; also means no C compiler is needed.
export CGO_ENABLED="${CGO_ENABLED:-0}"

src="$gopath/src/plugboard"
rm -rf "$src"
mkdir -p "$src/examples/go"

# plugboard/gen/pluginv1 (the proto's go_package) under $gopath/src.
protoc -I "$root/proto" --go_out=plugins=grpc:"$gopath/src" "$root/proto/plugboard/plugin/v1/plugin.proto"
[ -f "$src/gen/pluginv1/plugin.pb.go" ] || { echo "build-go.sh: protoc did not write $src/gen/pluginv1/plugin.pb.go" >&2; exit 1; }

for dir in shared plugin host; do
  mkdir -p "$src/examples/go/$dir"
  cp "$root/examples/go/$dir/"*.go "$src/examples/go/$dir/"
done

cd "$src"
go build -trimpath -o "$outdir/plugboard-go-header-guard" plugboard/examples/go/plugin
go build -trimpath -o "$outdir/plugboard-go-host" plugboard/examples/go/host
echo "built $outdir/plugboard-go-header-guard and $outdir/plugboard-go-host"
