#!/bin/sh
# Installs the Debian packages Kite needs, when they are missing.
# usage: tools/install-deps.sh build|test
set -eu
cd "$(dirname "$0")/.."
want="meson ninja-build pkg-config gcc python3 libmicrohttpd-dev libjansson-dev libsqlite3-dev
      libsodium-dev libcsv-dev libcurl4-openssl-dev libpcre2-dev libvips-dev libseccomp-dev libpq-dev"
# The black-box suite runs a second time on a throw-away PostgreSQL cluster (tools/pg-cluster.sh).
if [ "${1:-build}" = test ]; then
  want="$want libcmocka-dev cppcheck sqlite3 chromium postgresql postgresql-client"
fi
missing=""
for pkg in $want; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
# Node runs the black-box tests; any node >= 18 will do, from Debian or already present.
if [ "${1:-build}" = test ] && ! command -v node >/dev/null 2>&1; then
  missing="$missing nodejs"
fi
if [ "${1:-build}" = test ] && ! command -v npm >/dev/null 2>&1; then
  missing="$missing npm"
fi
install_web_test_modules() {
  # playwright-core drives Debian's Chromium, axe-core checks accessibility; the lock file pins
  # both, no browser is downloaded.  A lock file newer than what npm installed means a module
  # was added or changed since: install again.
  local installed=tests/web/node_modules/.package-lock.json
  if [ "${1:-build}" = test ] && { [ ! -f "$installed" ] || [ tests/web/package-lock.json -nt "$installed" ]; }; then
    (cd tests/web && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
if [ -z "$missing" ]; then
  install_web_test_modules "${1:-build}"
  exit 0
fi
echo "Installing Debian packages:$missing"
if [ "$(id -u)" -ne 0 ]; then
  echo "These packages are missing and installing them needs root: sudo apt-get install$missing" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
install_web_test_modules "${1:-build}"
