# Sourced by the scripts that run Node: sets NODE to a Node 22+ binary, puts
# it first on PATH (so npm and the packages' bin scripts run on it too) and
# installs interop/'s locked dependencies when they are missing or stale.
# Expects the working directory to be the repository root.

NODE=$(scripts/install-node.sh)
export NODE
PATH="$(dirname "$NODE"):$PATH"
export PATH

# npm writes node_modules/.package-lock.json on every install; when it is
# older than the lockfile, the lockfile changed since.
if [ ! -f interop/node_modules/.package-lock.json ] ||
  [ interop/package-lock.json -nt interop/node_modules/.package-lock.json ]; then
  echo "== npm ci (interop)" >&2
  (cd interop && npm ci --no-audit --no-fund >&2)
fi
