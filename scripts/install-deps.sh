#!/usr/bin/env bash
# Installs what the test suite needs, idempotently, on a fresh Debian machine of the project's kind:
# Debian packages (JNA and JUnit for the Kotlin binding tests, PostGIS for the geo benchmark,
# osmium-tool to build the .osm.pbf of the OSM import test, qpdf, poppler-utils and DejaVu fonts for
# the sticker-sheet PDF and its tests, libclang for nokhwa's camera bindings in the `camera` feature), the
# Kotlin compiler from npm (cached under .tools/), and makes sure the local PostgreSQL is running.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
mkdir -p "$tools"

need_pkgs=()
for pkg in libjna-java junit4 postgresql-15-postgis-3 chromium chromium-driver osmium-tool qpdf poppler-utils fonts-dejavu-core libclang-dev; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_pkgs+=("$pkg")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${need_pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

kotlin_version=2.4.20
if [ ! -x "$tools/kotlinc/bin/kotlinc" ]; then
  echo "install-deps: kotlin-compiler@$kotlin_version from npm"
  (cd "$tools" && [ -f "kotlin-compiler-$kotlin_version.tgz" ] || npm pack --silent "kotlin-compiler@$kotlin_version" >/dev/null)
  rm -rf "$tools/kotlinc" && mkdir -p "$tools/kotlinc"
  tar xzf "$tools/kotlin-compiler-$kotlin_version.tgz" -C "$tools/kotlinc" --strip-components=1
  chmod +x "$tools/kotlinc/bin/"* || true
fi

# The public map page's Leaflet and the headless-browser driver (playwright-core, which uses the
# system Chromium above, never a downloaded browser). `npm ci` only when the lockfile changed.
if [ ! -f "$root/server/web/node_modules/.package-lock.json" ] || \
   ! cmp -s "$root/server/web/package-lock.json" "$root/server/web/node_modules/.ci-lock"; then
  echo "install-deps: npm ci in server/web"
  (cd "$root/server/web" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >/dev/null)
  cp "$root/server/web/package-lock.json" "$root/server/web/node_modules/.ci-lock"
fi

if ! command -v cargo-nextest >/dev/null 2>&1; then
  cargo install --locked cargo-nextest
fi

# The PostgreSQL store tests talk to the machine's PostgreSQL; start it if it is down.
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "install-deps: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
