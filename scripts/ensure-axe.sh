#!/usr/bin/env bash
# Browser tests check pages with axe-core (an npm package, not a browser build): fetch its
# bundled axe.min.js once into var/axe-core/ with the ordinary npm client.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION="${AXE_CORE_VERSION:-4.14.1}"
DEST="var/axe-core"
if [ -f "$DEST/axe.min.js" ] && [ "$(cat "$DEST/VERSION" 2>/dev/null)" = "$VERSION" ]; then exit 0; fi
if ! command -v npm >/dev/null; then
  echo "npm is missing: the browser tests check every page with axe-core (sudo apt-get install npm)" >&2
  exit 1
fi
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack --silent "axe-core@$VERSION" >/dev/null)
tar -xzf "$TMP"/axe-core-*.tgz -C "$TMP" package/axe.min.js
mkdir -p "$DEST"
mv "$TMP/package/axe.min.js" "$DEST/axe.min.js"
echo "$VERSION" > "$DEST/VERSION"
