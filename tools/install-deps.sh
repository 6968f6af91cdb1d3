#!/bin/sh
# Installs the Debian packages Kite needs, when they are missing.
# usage: tools/install-deps.sh build|test|bench|fuzz
set -eu
cd "$(dirname "$0")/.."
want="meson ninja-build pkg-config gcc python3 libmicrohttpd-dev libjansson-dev libsqlite3-dev
      libsodium-dev libcsv-dev libcurl4-openssl-dev libpcre2-dev libvips-dev libseccomp-dev libpq-dev
      libstemmer-dev liboath-dev libicu-dev libssl-dev"
# Video messages: the confined helper transcodes with FFmpeg's libraries (src/sandbox/video_transcode.c).
want="$want libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev"
# make run prints the demo staff's two-factor secret with `oathtool --totp -b SECRET`, the
# authenticator-app code for the demo's staff sign-ins (docs/staff-security.md).
want="$want oathtool"
# The black-box suite runs a second time on a throw-away PostgreSQL cluster (tools/pg-cluster.sh).
if [ "${1:-build}" = test ]; then
  want="$want libcmocka-dev cppcheck sqlite3 chromium postgresql postgresql-client systemd"
  # The video-visit tests run a private Janus (tools/janus.sh), never the package's system service.
  want="$want janus"
  # tests/blackbox/video-messages.test.mjs makes its videos with the ffmpeg program.
  want="$want ffmpeg"
fi
# make bench runs Postfix as a peer (bench/postfix_peer.sh): a private instance of its own, so the
# package's system instance is never configured, started nor enabled (see postfix_quiet below).
# wrk drives the read phases a second time, with less of the machine than libcurl (bench/bench_wrk.h).
if [ "${1:-build}" = bench ]; then
  want="$want postfix wrk"
fi
# make fuzz: Debian's clang and its runtime libraries, which hold libFuzzer (tools/fuzz.sh).
if [ "${1:-build}" = fuzz ]; then
  want="$want clang-14 libclang-rt-14-dev"
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
# Postfix: "No configuration" (no main.cf for the system's instance), and no service started by the
# package's scripts; a policy-rc.d made for the install is removed after it, one already there stays.
policy_made=""
case " $missing " in *" postfix "*)
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections ;;
esac
# Janus likewise: the tests run a private instance (tools/janus.sh); the package's service stays off.
case " $missing " in *" postfix "*|*" janus "*)
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && policy_made=1
  fi ;;
esac
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
if [ -n "$policy_made" ]; then
  rm -f /usr/sbin/policy-rc.d
fi
case " $missing " in *" postfix "*)
  # Installed here: the system's instance stays off, as it was before.
  if [ -e /var/spool/postfix/pid/master.pid ] && postfix status >/dev/null 2>&1; then postfix stop >/dev/null 2>&1 || true; fi
  if command -v update-rc.d >/dev/null 2>&1; then update-rc.d postfix disable >/dev/null 2>&1 || true; fi ;;
esac
case " $missing " in *" janus "*)
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now janus >/dev/null 2>&1 || true; fi ;;
esac
install_web_test_modules "${1:-build}"
