#!/usr/bin/env bash
# Install Azurite, the Azure Storage emulator (npm package `azurite`), pinned, into a cache folder outside the
# repository: $INVOICEFLOW_AZURITE_CACHE ($HOME/.cache/invoiceflow/azurite)/<version>. `infra/stack.sh up`
# starts its blob service for the training-set uploads of `invoiceflow train`.
#   infra/azurite.sh          install if missing (idempotent; a marker file makes a second run a no-op)
#   infra/azurite.sh bin      print the path of the azurite-blob launcher (installing first if needed)
# Needs node and npm (Azurite 3.35 runs on Node >= 18; 3.36 and later want Node 22).
set -euo pipefail

VERSION="${INVOICEFLOW_AZURITE_VERSION:-3.35.0}"
CACHE="${INVOICEFLOW_AZURITE_CACHE:-$HOME/.cache/invoiceflow/azurite}"
DIR="$CACHE/$VERSION"
BIN="$DIR/node_modules/.bin/azurite-blob"

install() {
    [[ -f "$DIR/.complete" && -x "$BIN" ]] && return 0
    command -v npm >/dev/null || { echo "azurite: npm not found: install Node.js and npm" >&2; exit 1; }
    mkdir -p "$DIR"
    echo "azurite: installing azurite@$VERSION into $DIR" >&2
    npm install --prefix "$DIR" --no-audit --no-fund --loglevel=error --omit=dev "azurite@$VERSION" >&2
    [[ -x "$BIN" ]] || { echo "azurite: $BIN missing after npm install" >&2; exit 1; }
    echo "$VERSION" >"$DIR/.complete"
}

install
[[ "${1:-}" == bin ]] && echo "$BIN"
exit 0
