#!/usr/bin/env bash
# From a fresh Debian machine to a dev agent running the example Redis:
# installs the build dependencies and redis-server, builds, checks the
# getting-started jobspecs, starts `caravan agent -dev` in the background
# and runs examples/local/redis.nomad.hcl on it, then says how to look.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
if ! command -v redis-server >/dev/null; then
    SUDO=
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends redis-server
fi
[ -x configure ] || ./autogen.sh
[ -f Makefile ] || ./configure
make -j"$(nproc)" caravan
for f in examples/getting-started/*.nomad.hcl; do
    echo "==> caravan job validate $f"
    ./caravan job validate "$f"
done
export CARAVAN_ADDR=${CARAVAN_ADDR:-http://127.0.0.1:4646}
PORT=${CARAVAN_ADDR##*:}
./caravan agent -dev -http-port "$PORT" >caravan-agent.log 2>&1 &
echo "==> caravan agent -dev started (pid $!, log in caravan-agent.log)"
for _ in $(seq 100); do
    curl -sf "$CARAVAN_ADDR/v1/nodes" | grep -q '"ready"' && break
    sleep 0.1
done
echo "==> caravan job run examples/local/redis.nomad.hcl"
./caravan job run examples/local/redis.nomad.hcl
cat <<MSG

Redis now runs under Caravan. Look at it with:
  curl -s $CARAVAN_ADDR/v1/job/pytechco-redis/allocations | jq .
  curl -s $CARAVAN_ADDR/v1/allocation/<id> | jq .Ports
  redis-cli -p <port> ping
Stop everything with: kill -INT $(pgrep -f 'caravan agent -dev' | head -1)
MSG
