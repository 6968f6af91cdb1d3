#!/bin/bash
# tools/deb.sh build|test: the Debian package (make deb, make deb-test).
#
#   build  a source tree of the tracked files under build-deb/, with packaging/debian as its
#          debian/ and packaging/kite.service as the unit; dpkg-buildpackage -b makes
#          build-deb/kite_VERSION_ARCH.deb.
#   test   builds the .deb afresh (never one left in build-deb/ by older code), installs what
#          it depends on with apt-get satisfy and then the package with dpkg -i, starts Kite the
#          way the unit does (its ExecStart, as root: no systemd runs here), checks /healthz and
#          that the server runs as the kite user with its store in /var/lib/kite, stops it, puts
#          packaging/nginx-kite.conf in front of it with a self-signed certificate (TLS, HSTS,
#          Secure cookies, the client's own address in Kite's log through --trusted-proxy), and
#          removes the package with dpkg --purge: no binary, user, store or /etc/kite left.
#          Needs root; it changes this machine (and puts it back).
set -euo pipefail
cd "$(dirname "$0")/.."
out=build-deb

build() {
  local want="debhelper devscripts dpkg-dev fakeroot rsync" missing=""
  for pkg in $want; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
  done
  if [ -n "$missing" ]; then
    echo "Installing Debian packages:$missing"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null
  fi
  tools/install-deps.sh build
  local version tree
  version=$(sed -n "s/^  version : '\(.*\)',$/\1/p" meson.build)
  tree="$out/kite-$version"
  rm -rf "$out"
  mkdir -p "$tree"
  git ls-files -z | rsync -a --from0 --files-from=- ./ "$tree/"
  cp -r packaging/debian "$tree/debian"
  cp packaging/kite.service "$tree/debian/kite.service"
  (cd "$tree" && dpkg-buildpackage -b -us -uc >../dpkg-buildpackage.log 2>&1) || {
    tail -40 "$out/dpkg-buildpackage.log"
    echo "make deb: dpkg-buildpackage failed (the whole log: $out/dpkg-buildpackage.log)" >&2
    exit 1
  }
  ls "$out"/kite_*.deb
}

test_package() {
  [ "$(id -u)" = 0 ] || { echo "make deb-test installs a package: run it as root" >&2; exit 1; }
  local deb
  build
  deb=$(ls "$out"/kite_*.deb | head -1)
  local log="$out/deb-test.log" pid="" failed=0
  cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    dpkg --purge kite >/dev/null 2>&1 || true
  }
  trap cleanup EXIT
  check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; failed=1; fi; }

  DEBIAN_FRONTEND=noninteractive apt-get satisfy -y -q "$(dpkg-deb -f "$deb" Depends)" >"$log" 2>&1 || { tail -20 "$log"; exit 1; }
  dpkg -i "$deb" >>"$log" 2>&1 || { tail -20 "$log"; echo "make deb-test: dpkg -i $deb failed" >&2; exit 1; }
  check "the binary is /usr/bin/kite" '[ -x /usr/bin/kite ]'
  check "the kite system user exists" 'getent passwd kite >/dev/null'
  check "/var/lib/kite belongs to the kite user, mode 0700" '[ "$(stat -c %U:%a /var/lib/kite)" = kite:700 ]'
  check "/etc/kite/kite.conf is a conffile readable by kite only" '[ "$(stat -c %U:%G:%a /etc/kite/kite.conf)" = root:kite:640 ] && dpkg-query -W -f="\${Conffiles}" kite | grep -q /etc/kite/kite.conf'
  check "the unit is installed" '[ -f /lib/systemd/system/kite.service ]'
  check "the man pages are installed" '[ -f /usr/share/man/man8/kite.8.gz ] && [ -f /usr/share/man/man5/kite.conf.5.gz ]'
  check "the web pages and the directory are installed" '[ -f /usr/share/kite/web/index.html ] && [ -f /usr/share/kite/data/facilities.csv ]'

  # Start it the way the unit does: its ExecStart, with nothing else.
  local exec_start
  exec_start=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/kite.service)
  $exec_start >"$out/deb-serve.out" 2>"$out/deb-serve.err" &
  pid=$!
  local up=0
  for _ in $(seq 1 100); do
    if curl -fsS http://127.0.0.1:8080/healthz >/dev/null 2>&1; then up=1; break; fi
    sleep 0.2
  done
  check "kite serve (the unit's ExecStart) answers /healthz on 127.0.0.1:8080" '[ "$up" = 1 ]'
  check "it runs as the kite user" '[ "$(ps -o user= -p "$pid" | tr -d " ")" = kite ]'
  check "its store is /var/lib/kite/kite.db, owned by the kite user" '[ "$(stat -c %U /var/lib/kite/kite.db 2>/dev/null)" = kite ]'
  check "the directory is loaded from /usr/share/kite/data (rikers finds the Rikers Island jails)" 'curl -fsS "http://127.0.0.1:8080/api/v1/facilities?q=rikers" | grep -q "ANNA M KROSS CENTER"'
  check "the web pages are served from /usr/share/kite/web" 'curl -fsS http://127.0.0.1:8080/ | grep -qi "<html"'
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null || true
  pid=""
  check "it stops cleanly on SIGTERM" 'grep -q "stopped" "$out/deb-serve.err"'

  behind_nginx "$exec_start"

  dpkg --purge kite >>"$log" 2>&1
  check "dpkg --purge removes the binary" '[ ! -e /usr/bin/kite ]'
  check "dpkg --purge removes the kite user" '! getent passwd kite >/dev/null'
  check "dpkg --purge removes /var/lib/kite and /etc/kite" '[ ! -e /var/lib/kite ] && [ ! -e /etc/kite ]'
  trap - EXIT
  if [ "$failed" = 0 ]; then echo "deb-test: every check passed ($deb)"; else echo "deb-test: FAILED"; exit 1; fi
}

# The shipped nginx site in front of the installed Kite: a private nginx (its own prefix and
# ports 8443 and 8081 on loopback), a self-signed certificate, curl from another loopback address.
behind_nginx() {
  local exec_start=$1 dir="$PWD/$out/nginx" npid="" kpid=""
  if ! dpkg-query -W -f='${Status}' nginx 2>/dev/null | grep -q "install ok installed"; then
    # Installed, never started: the package's own service would take port 80 (policy-rc.d: 101).
    local policy=/usr/sbin/policy-rc.d placed=0
    if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && placed=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx openssl >>"$out/deb-test.log" 2>&1 || true
    [ "$placed" = 1 ] && rm -f "$policy"
  fi
  rm -rf "$dir" && mkdir -p "$dir/logs"
  openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=kite.test -days 2 \
    -keyout "$dir/kite.key" -out "$dir/kite.pem" >/dev/null 2>&1
  sed -e 's#listen 443 ssl http2;#listen 127.0.0.1:8443 ssl http2;#' -e 's#listen 80;#listen 127.0.0.1:8081;#' \
      -e '/listen \[::\]/d' -e 's#kite.example.org#kite.test#g' \
      -e "s#/etc/ssl/certs/kite.test.pem#$dir/kite.pem#" -e "s#/etc/ssl/private/kite.test.key#$dir/kite.key#" \
      packaging/nginx-kite.conf >"$dir/site.conf"
  printf 'pid %s/nginx.pid;\nerror_log %s/logs/error.log;\nevents {}\nhttp {\n access_log %s/logs/access.log;\n include %s/site.conf;\n}\n' \
    "$dir" "$dir" "$dir" "$dir" >"$dir/nginx.conf"
  nginx -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' >"$dir/logs/stdout" 2>&1 &
  npid=$!
  $exec_start --public-url https://kite.test --trusted-proxy 127.0.0.1 >"$out/deb-serve2.out" 2>"$out/deb-serve2.err" &
  kpid=$!
  local curl_tls=(curl -sS -k --resolve kite.test:8443:127.0.0.1 --interface 127.0.0.2)
  local up=0
  for _ in $(seq 1 100); do
    if "${curl_tls[@]}" -f https://kite.test:8443/healthz >/dev/null 2>&1; then up=1; break; fi
    sleep 0.2
  done
  check "nginx (packaging/nginx-kite.conf) serves Kite over TLS" '[ "$up" = 1 ]'
  check "HSTS on answers that came over TLS" '"${curl_tls[@]}" -D - -o /dev/null https://kite.test:8443/healthz | grep -qi "^strict-transport-security: max-age="'
  check "plain http is sent to https" '[ "$(curl -sS -o /dev/null -w "%{http_code} %{redirect_url}" http://127.0.0.1:8081/ -H "Host: kite.test")" = "301 https://kite.test/" ]'
  local email="deb-test-$$@example.org"
  "${curl_tls[@]}" -o /dev/null -H 'Content-Type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"a long enough passphrase 42\",\"full_name\":\"Deb Test\",\"phone\":\"+1 555 0100\"}" \
    https://kite.test:8443/api/v1/accounts
  check "the session cookie is Secure" '"${curl_tls[@]}" -D - -o /dev/null -H "Content-Type: application/json" -d "{\"email\":\"$email\",\"password\":\"a long enough passphrase 42\"}" https://kite.test:8443/api/v1/sessions | grep -i "^set-cookie: kite_session=" | grep -qi "; *secure"'
  check "Kite logs the client's own address (127.0.0.2), not nginx's" 'grep -q "GET /healthz 200 [0-9]*ms 127.0.0.2" "$out/deb-serve2.err"'
  kill -TERM "$kpid" "$npid" 2>/dev/null || true
  wait "$kpid" "$npid" 2>/dev/null || true
}

case "${1:-}" in
  build) build ;;
  test) test_package ;;
  *) echo "usage: tools/deb.sh build|test" >&2; exit 2 ;;
esac
