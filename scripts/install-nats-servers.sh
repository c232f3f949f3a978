#!/usr/bin/env bash
# Installs real nats-server binaries of several versions into .nats-servers/<version>/nats-server,
# one per Debian suite, without touching the system: apt runs on a private state directory, and
# packages are unpacked with dpkg -x. The mirror is read from this machine's own apt configuration.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dest="${NATS_SERVERS_DIR:-$root/.nats-servers}"
suites=(${NATS_SERVER_SUITES:-bookworm trixie sid})
manifest="$dest/versions.txt"

have_all() {
  [ -f "$manifest" ] || return 1
  [ "$(wc -l <"$manifest")" -ge "${#suites[@]}" ] || return 1
  while read -r version _; do
    [ -x "$dest/$version/nats-server" ] || return 1
  done <"$manifest"
}

if have_all; then
  echo "nats-server binaries already installed in $dest:" >&2
  cat "$manifest" >&2
  exit 0
fi

command -v apt-get >/dev/null || { echo "install-nats-servers: apt-get not found; set NATS_SERVER_BIN to a nats-server binary instead" >&2; exit 1; }

mkdir -p "$dest"
. "$root/scripts/private-apt.sh"
private_apt install-nats-servers "${suites[@]}"

# Every distinct nats-server version the suites carry; no version numbers are assumed.
mapfile -t versions < <(apt-cache "${apt_opts[@]}" madison nats-server | awk -F'|' '{ gsub(/ /, "", $2); print $2 }' | sort -u)
[ ${#versions[@]} -gt 0 ] || { echo "install-nats-servers: no nats-server package in ${suites[*]}" >&2; exit 1; }

: >"$manifest.tmp"
for pkgver in "${versions[@]}"; do
  (cd "$work/debs" && apt-get "${apt_opts[@]}" -qq download "nats-server=$pkgver" >&2)
  deb=$(ls "$work/debs"/nats-server_*.deb | head -n 1)
  unpacked="$work/unpacked"
  rm -rf "$unpacked" && dpkg -x "$deb" "$unpacked"
  # /usr/bin in older packages, /usr/sbin in newer ones.
  bin=$(find "$unpacked/usr" -type f -name nats-server -perm -u+x | head -n 1)
  [ -n "$bin" ] || { echo "install-nats-servers: $deb has no nats-server binary" >&2; exit 1; }
  # The server's own word on its version, e.g. "nats-server: v2.10.27".
  version=$("$bin" --version | awk '{ print $2 }' | sed 's/^v//')
  mkdir -p "$dest/$version"
  install -m 0755 "$bin" "$dest/$version/nats-server"
  echo "$version $pkgver" >>"$manifest.tmp"
  rm -f "$deb"
  echo "install-nats-servers: nats-server $version (Debian $pkgver)" >&2
done
sort -V "$manifest.tmp" >"$manifest" && rm -f "$manifest.tmp"
cat "$manifest"
