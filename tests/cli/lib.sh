# TAP helpers for the shell tests that drive the caravan binary.
# Source it, call the checks, then `done_testing`.
: "${TOP_BUILDDIR:=$(pwd)}"
: "${TOP_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
CARAVAN="$TOP_BUILDDIR/caravan"
# No agent listens on port 1: commands that try the agent fall back or fail.
export CARAVAN_ADDR=http://127.0.0.1:1
unset NOMAD_ADDR
T_N=0
T_FAILED=0
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/caravan-cli-XXXXXX")
trap 'rm -rf "$T_TMP"' EXIT

t_ok() { # cond-status description
    T_N=$((T_N + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $T_N - $2"
    else
        echo "not ok $T_N - $2"
        T_FAILED=$((T_FAILED + 1))
    fi
}

# t_run NAME EXPECTED_STATUS cmd...: runs cmd, keeps stdout/stderr in
# $T_OUT/$T_ERR, checks the exit status.
t_run() {
    local name=$1 want=$2 got
    shift 2
    "$@" >"$T_TMP/out" 2>"$T_TMP/err"
    got=$?
    T_OUT=$(cat "$T_TMP/out")
    T_ERR=$(cat "$T_TMP/err")
    if [ "$got" -ne "$want" ]; then
        echo "# $name: exit status $got, want $want"
        printf '%s\n' "$T_OUT" | head -20 | sed 's/^/# stdout: /'
        printf '%s\n' "$T_ERR" | head -20 | sed 's/^/# stderr: /'
    fi
    t_ok $([ "$got" -eq "$want" ]; echo $?) "$name (exit $want)"
}

# A TCP port nobody listens on right now, for an agent of a test.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_until TRIES cmd...: waits (bounded, TRIES tenths of a second) until
# cmd succeeds: a condition, not a delay.
wait_until() {
    local tries=$1
    shift
    while [ "$tries" -gt 0 ]; do
        "$@" >/dev/null 2>&1 && return 0
        tries=$((tries - 1))
        sleep 0.1
    done
    return 1
}

# start_dev_agent: a `caravan agent -dev` on a free port, stopped at exit;
# sets AGENT, CARAVAN_ADDR and API, and waits for its node (TAP check).
start_dev_agent() {
    local port
    port=$(free_port)
    "$CARAVAN" agent -dev -http-port "$port" >"$T_TMP/agent.log" 2>&1 &
    AGENT=$!
    trap 'kill -INT $AGENT 2>/dev/null; wait $AGENT 2>/dev/null; rm -rf "$T_TMP"' EXIT
    export CARAVAN_ADDR=http://127.0.0.1:$port
    API=$CARAVAN_ADDR/v1
    wait_until 100 api_check "$API/nodes" '.[0].Status == "ready"'
    t_ok $? "dev agent is up"
}

# api_check URL JQ-FILTER: true when the agent answers URL and the filter
# holds. (jq -e alone succeeds on empty input, as when nothing answered.)
api_check() {
    local body
    body=$(curl -sf "$1") || return 1
    [ -n "$body" ] && jq -e "$2" <<<"$body" >/dev/null
}

# t_contains NAME HAYSTACK NEEDLE
t_contains() {
    case $2 in
    *"$3"*) t_ok 0 "$1" ;;
    *)
        echo "# $1: missing: $3"
        printf '%s\n' "$2" | head -40 | sed 's/^/# in: /'
        t_ok 1 "$1"
        ;;
    esac
}

# t_eq NAME GOT WANT
t_eq() {
    if [ "$2" = "$3" ]; then
        t_ok 0 "$1"
    else
        echo "# $1: got '$2', want '$3'"
        t_ok 1 "$1"
    fi
}

done_testing() {
    echo "1..$T_N"
    [ "$T_FAILED" -eq 0 ]
}
