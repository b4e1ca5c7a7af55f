#!/usr/bin/env bash
# From a fresh Debian machine to the getting-started app running under a
# dev agent: installs the Debian packages (redis-server and python3
# included), builds, checks the tutorial's jobspecs, starts `caravan agent
# -dev` in the background and runs examples/getting-started-local on it
# (redis, web, setup, employee), then prints the web URL and how to look.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
[ -x configure ] || ./autogen.sh
[ -f Makefile ] || ./configure
make -j"$(nproc)" caravan
for f in examples/getting-started/*.nomad.hcl; do
    echo "==> caravan job validate $f"
    ./caravan job validate "$f"
done
export CARAVAN_ADDR=${CARAVAN_ADDR:-http://127.0.0.1:4646}
PORT=${CARAVAN_ADDR##*:}
WEB_PORT=${WEB_PORT:-5000}
./caravan agent -dev -http-port "$PORT" >caravan-agent.log 2>&1 &
AGENT=$!
for _ in $(seq 100); do
    grep -q "agent started" caravan-agent.log && break
    kill -0 "$AGENT" 2>/dev/null || break
    sleep 0.1
done
if ! kill -0 "$AGENT" 2>/dev/null; then
    # Another agent on the port would answer our requests: stop here.
    echo "==> caravan agent -dev did not start:" >&2
    tail -5 caravan-agent.log >&2
    exit 1
fi
echo "==> caravan agent -dev started (pid $AGENT, log in caravan-agent.log)"
for _ in $(seq 100); do
    curl -sf "$CARAVAN_ADDR/v1/nodes" | grep -q '"ready"' && break
    sleep 0.1
done

DIR=examples/getting-started-local
APP=-var=app_dir=$PWD/$DIR/app
run() { # file, flags...
    local f=$1
    shift
    echo "==> caravan job run $* $f"
    ./caravan job run "$@" "$f"
}
status_is() { # job, jq filter over its allocations
    curl -sf "$CARAVAN_ADDR/v1/job/$1/allocations" | jq -e "$2" >/dev/null 2>&1
}
wait_for() { # what, job, filter
    for _ in $(seq 300); do
        status_is "$2" "$3" && return 0
        sleep 0.1
    done
    echo "==> $1 did not happen; see caravan-agent.log" >&2
    return 1
}
run $DIR/pytechco-redis.nomad.hcl
wait_for "redis running" pytechco-redis 'any(.ClientStatus == "running")'
run $DIR/pytechco-web.nomad.hcl "$APP" -var "web_port=$WEB_PORT"
wait_for "web running" pytechco-web 'any(.ClientStatus == "running")'
run $DIR/pytechco-setup.nomad.hcl "$APP"
echo "==> caravan job dispatch -meta budget=200 pytechco-setup"
./caravan job dispatch -meta budget=200 pytechco-setup
for _ in $(seq 300); do
    curl -sf "http://127.0.0.1:$WEB_PORT/api/state" | grep -q '"budget": 200' && break
    sleep 0.1
done
run $DIR/pytechco-employee.nomad.hcl "$APP"
cat <<MSG

The pytechco app runs under Caravan. Open http://127.0.0.1:$WEB_PORT/ (JSON at
/api/state): employees come online every 3 seconds and spend the budget.
Look at it with:
  ./caravan job status
  ./caravan job status pytechco-employee
  ./caravan job allocs pytechco-web    then  ./caravan alloc logs <alloc id>
  ./caravan node status
Reset the budget:  ./caravan job dispatch -meta budget=500 pytechco-setup
Stop everything:   kill -INT $AGENT
MSG
