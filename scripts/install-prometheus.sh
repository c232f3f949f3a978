#!/usr/bin/env bash
# Installs Debian's prometheus package (the prometheus server and promtool) into .prometheus/, for
# the metrics tests, without touching the system: apt runs on a private state directory, and the
# package is unpacked with dpkg -x. The mirror is read from this machine's own apt configuration.
# The suite is this machine's own (its VERSION_CODENAME) unless PROMETHEUS_SUITE names another:
# Debian builds both binaries with cgo, so they link the C library, and a binary of a newer suite
# may need a newer one than this machine has.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dest="${PROMETHEUS_DIR:-$root/.prometheus}"
manifest="$dest/version.txt"

if [ -f "$manifest" ] && [ -x "$dest/prometheus" ] && [ -x "$dest/promtool" ]; then
  echo "prometheus already installed in $dest: $(cat "$manifest")" >&2
  exit 0
fi

suite="${PROMETHEUS_SUITE:-}"
if [ -z "$suite" ] && [ -r /etc/os-release ]; then
  suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
fi
suite="${suite:-bookworm}"

command -v apt-get >/dev/null || { echo "install-prometheus: apt-get not found; put prometheus and promtool binaries in $dest (or set PROMETHEUS_DIR)" >&2; exit 1; }

mkdir -p "$dest"
. "$root/scripts/private-apt.sh"
private_apt install-prometheus "$suite"
(cd "$work/debs" && apt-get "${apt_opts[@]}" -qq download prometheus >&2)
deb=$(ls "$work/debs"/prometheus_*.deb | head -n 1)
dpkg -x "$deb" "$work/unpacked"
for bin in prometheus promtool; do
  [ -x "$work/unpacked/usr/bin/$bin" ] || { echo "install-prometheus: $deb has no usr/bin/$bin" >&2; exit 1; }
  install -m 0755 "$work/unpacked/usr/bin/$bin" "$dest/$bin"
done
# Its own word on its version, e.g. "prometheus, version 2.42.0+ds (branch: ...)".
version=$("$dest/prometheus" --version 2>&1 | awk 'NR == 1 { print $3 }')
echo "$version ($(basename "$deb" .deb), $suite)" >"$manifest"
echo "install-prometheus: prometheus $version from Debian $suite" >&2
cat "$manifest"
