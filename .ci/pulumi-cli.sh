#!/usr/bin/env bash
# Provide the Pulumi CLI (the real engine) for the real-engine tests, offline.
# No registry ships a prebuilt `pulumi`, so it is built from the Go module proxy in a throwaway
# module outside the repo, stamped with its version, and cached outside the repo keyed on the
# version: the first run takes minutes, later ones a second. Next to the binary goes the project's
# own pulumi-resource-pulumi-python (the dynamic-provider plugin the engine looks for there).
# Prints the directory holding bin/pulumi (for auto.PulumiCommand(root=...)). Nothing built here
# is committed.
set -euo pipefail
VERSION=${PULUMI_CLI_VERSION:-v3.274.1}
CACHE=${SAGEMAKER_RECONCILER_TOOLS:-$HOME/.cache/sagemaker-reconciler-tools}
ROOT="$CACHE/pulumi-$VERSION"
PLUGIN="$(cd "$(dirname "$0")" && pwd)/pulumi-resource-pulumi-python"

if [ ! -x "$ROOT/bin/pulumi" ]; then
  command -v go >/dev/null || { echo "pulumi-cli: Go is needed to build the Pulumi CLI" >&2; exit 1; }
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  echo "pulumi-cli: building pulumi $VERSION from the Go module proxy (first time: several minutes)" >&2
  (
    cd "$work"
    go mod init pulumi-cli-build >/dev/null 2>&1
    # Getting the main package (not just its module) records every go.sum entry its imports need.
    go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@$VERSION" "github.com/pulumi/pulumi/sdk/v3@$VERSION" >&2
    mkdir -p "$ROOT/bin.tmp"
    CGO_ENABLED=0 go build -tags osusergo -trimpath \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$VERSION" \
      -o "$ROOT/bin.tmp/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  )
  rm -rf "$ROOT/bin" && mv "$ROOT/bin.tmp" "$ROOT/bin"
fi
# The plugin is ours, not the build's: refresh it every run so an edit in the repo takes effect.
cmp -s "$PLUGIN" "$ROOT/bin/pulumi-resource-pulumi-python" || install -m 0755 "$PLUGIN" "$ROOT/bin/"
[ "$("$ROOT/bin/pulumi" version)" = "$VERSION" ] || {
  echo "pulumi-cli: $ROOT/bin/pulumi does not report $VERSION; delete $ROOT and run again" >&2; exit 1; }
echo "$ROOT"
