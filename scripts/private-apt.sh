# Sourced by the install scripts: apt on a private state directory, with the mirror read from this
# machine's own apt configuration, so that packages can be downloaded and unpacked (dpkg -x)
# without touching the system. After `private_apt NAME SUITE...`: $work (removed at exit), the
# array apt_opts, and the package lists of those suites, read.

mirror_uri() {
  # deb822 sources first (Debian 12+), then one-line sources.
  local uri
  uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
    /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1 || true)
  if [ -z "$uri" ]; then
    uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($i !~ /security/) print $i; break } }' \
      /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n 1 || true)
  fi
  [ -n "$uri" ] || { echo "$1: no Debian mirror found in /etc/apt sources" >&2; exit 1; }
  echo "$uri"
}

private_apt() {
  local name=$1 suite uri
  shift
  uri=$(mirror_uri "$name")
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/etc" "$work/state/lists/partial" "$work/cache/archives/partial" "$work/debs"
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  for suite in "$@"; do
    echo "deb [signed-by=$keyring] $uri $suite main"
  done >"$work/etc/sources.list"
  apt_opts=(
    -o "Dir::Etc::SourceList=$work/etc/sources.list"
    -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::State=$work/state"
    -o "Dir::State::status=/var/lib/dpkg/status"
    -o "Dir::Cache=$work/cache"
    -o "Debug::NoLocking=1"
    -o "APT::Sandbox::User=root"
  )
  echo "$name: reading package lists for $*" >&2
  apt-get "${apt_opts[@]}" -qq update >&2
}
