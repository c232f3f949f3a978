#!/usr/bin/env bash
# Tools the test suite needs beyond npm packages: Debian's prometheus (the server and promtool, into
# .prometheus/ by scripts/install-prometheus.sh) for the metrics tests, and Debian's docker-compose
# (1.29), which validates and renders docker-compose.yml without a Docker engine. Quick when both
# are already installed.
set -euo pipefail
bash "$(dirname "$0")/install-prometheus.sh"
if command -v docker-compose >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-tools: docker-compose is missing; install it (Debian: apt-get install docker-compose)" >&2
  exit 1
fi
echo "install-test-tools: installing docker-compose from Debian" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
docker-compose version --short >&2
