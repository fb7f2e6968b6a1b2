#!/usr/bin/env bash
# Fails when any committed mcpgen output is stale: for every
# "//go:generate go run github.com/mcpgen/mcpgen/cmd/mcpgen generate ..." line,
# runs the same command as "mcpgen check" in that file's folder.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(mktemp -d)/mcpgen
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./cmd/mcpgen
status=0
checked=0
while IFS=: read -r file _ line; do
  args=${line#*cmd/mcpgen generate}
  dir=$(dirname "$file")
  # shellcheck disable=SC2086 # the go:generate arguments are split as go generate would
  if ! (cd "$dir" && "$bin" check $args); then
    echo "stale generated code in $dir (from $file)"
    status=1
  fi
  checked=$((checked + 1))
done < <(git grep -n '^//go:generate go run github.com/mcpgen/mcpgen/cmd/mcpgen generate' -- '*.go')
echo "mcpgen check: $checked generated package(s) checked"
exit $status
