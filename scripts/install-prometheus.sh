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

mirror_uri() {
  # deb822 sources first (Debian 12+), then one-line sources.
  local uri
  uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
    /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1 || true)
  if [ -z "$uri" ]; then
    uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($i !~ /security/) print $i; break } }' \
      /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n 1 || true)
  fi
  [ -n "$uri" ] || { echo "install-prometheus: no Debian mirror found in /etc/apt sources" >&2; exit 1; }
  echo "$uri"
}

command -v apt-get >/dev/null || { echo "install-prometheus: apt-get not found; put prometheus and promtool binaries in $dest (or set PROMETHEUS_DIR)" >&2; exit 1; }

uri=$(mirror_uri)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/etc" "$work/state/lists/partial" "$work/cache/archives/partial" "$work/debs" "$dest"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
echo "deb [signed-by=$keyring] $uri $suite main" >"$work/etc/sources.list"

apt_opts=(
  -o "Dir::Etc::SourceList=$work/etc/sources.list"
  -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::State=$work/state"
  -o "Dir::State::status=/var/lib/dpkg/status"
  -o "Dir::Cache=$work/cache"
  -o "Debug::NoLocking=1"
  -o "APT::Sandbox::User=root"
)

echo "install-prometheus: reading the package list of $suite" >&2
apt-get "${apt_opts[@]}" -qq update >&2
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
