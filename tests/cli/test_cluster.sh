#!/usr/bin/env bash
# A server agent and two client agents on 127.0.0.1, talking mesh/rpc:
# the clients join the server's gossip mesh (c1 also names the server
# with -servers; c2 and c3 learn it from the mesh alone); both nodes
# register; a job's allocs run on them; a client killed with
# -9 misses its heartbeats, its node goes down, its alloc is lost and its
# replacement waits (distinct_hosts) until a third client joins; garbage
# sent to the RPC port harms nothing; a restarted server gets its clients
# back.
. "$(dirname "$0")/lib.sh"


HTTP=$(free_port)
RPC=$(free_port)
SERF=$(free_port)
MARK=caravan-cluster-$$
cat >"$T_TMP/server.hcl" <<'HCL'
server {
  min_heartbeat_ttl = "1s"
  heartbeat_grace   = "1s"
}
HCL
cat >"$T_TMP/client.hcl" <<'HCL'
plugin "raw_exec" {
  config {
    enabled = true
  }
}
HCL
start_server() {
    "$CARAVAN" agent -server -data-dir "$T_TMP/server" -bind 127.0.0.1 \
        -http-port "$HTTP" -rpc-port "$RPC" -serf-port "$SERF" \
        -config "$T_TMP/server.hcl" \
        >>"$T_TMP/server.log" 2>&1 &
    SERVER=$!
}
start_client() { # name [http port]
    local servers=
    [ "$1" = c1 ] && servers="-servers 127.0.0.1:$RPC"
    # shellcheck disable=SC2086
    "$CARAVAN" agent -client -data-dir "$T_TMP/$1" -bind 127.0.0.1 \
        -http-port "${2:-$(free_port)}" $servers -serf-port 0 \
        -join "127.0.0.1:$SERF" -node "$1" \
        -config "$T_TMP/client.hcl" >>"$T_TMP/$1.log" 2>&1 &
}
start_server
start_client c1
C1=$!
C2_HTTP=$(free_port)
start_client c2 "$C2_HTTP"
C2=$!
C3=
trap 'kill -9 $SERVER $C1 $C2 $C3 2>/dev/null; pkill -9 -f "$MARK" 2>/dev/null; rm -rf "$T_TMP"' EXIT
export CARAVAN_ADDR=http://127.0.0.1:$HTTP
API=$CARAVAN_ADDR/v1

two_ready() { api_check "$API/nodes" '[.[] | select(.Status == "ready")] | length == 2'; }
wait_until 100 two_ready
t_ok $? "two client agents register with the server over RPC"
t_run "node status" 0 "$CARAVAN" node status
t_contains "node c1" "$T_OUT" " c1 "
t_contains "node c2" "$T_OUT" " c2 "
t_contains "server banner names the RPC port" "$(cat "$T_TMP/server.log")" "RPC: 127.0.0.1:$RPC"
t_contains "client banner names its servers" "$(cat "$T_TMP/c1.log")" "Servers: 127.0.0.1:$RPC"
three_members() { api_check "$API/agent/members" '[.Members[] | select(.Status == "alive")] | length == 3'; }
wait_until 100 three_members
t_ok $? "the server's mesh lists itself and both clients"
t_run "server members through a client that learnt its server from the mesh" 0 env CARAVAN_ADDR=http://127.0.0.1:$C2_HTTP "$CARAVAN" server members
t_contains "the server, as leader" "$T_OUT" "alive   true"

cat >"$T_TMP/job.nomad.hcl" <<HCL
job "spread" {
  group "g" {
    count = 2
    constraint {
      operator = "distinct_hosts"
      value    = "true"
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "exec sleep 600", "$MARK"]
      }
    }
  }
}
HCL
cat >"$T_TMP/after.nomad.hcl" <<HCL
job "after" {
  type = "batch"
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "exit 0", "$MARK"]
      }
    }
  }
}
HCL
t_run "run a job over both clients" 0 "$CARAVAN" job run -detach "$T_TMP/job.nomad.hcl"
both_running() { api_check "$API/job/spread/allocations" '[.[] | select(.ClientStatus == "running")] | length == 2'; }
wait_until 150 both_running
t_ok $? "an alloc runs on each client"
NODE1=$(curl -sf "$API/nodes" | jq -r '.[] | select(.Name == "c1") | .ID')
t_eq "distinct hosts" "$(curl -sf "$API/job/spread/allocations" | jq '[.[].NodeID] | unique | length')" "2"

# A client agent answers what it cannot itself through its servers.
C2_API=http://127.0.0.1:$C2_HTTP/v1
t_eq "jobs through a client agent" "$(curl -sf "$C2_API/jobs" | jq -r '.[0].ID')" "spread"
t_run "the CLI against a client agent" 0 env CARAVAN_ADDR=http://127.0.0.1:$C2_HTTP "$CARAVAN" job status spread
t_contains "job status through the client" "$T_OUT" "running"
hdr=$(curl -s -D - -o /dev/null "$C2_API/job/spread")
t_contains "blocking-query headers pass through" "$hdr" "X-Nomad-Index: "
code=$(curl -s -o "$T_TMP/body" -w '%{http_code}' -X PUT -d '{"Job": [' "$C2_API/jobs")
t_eq "a bad body is refused by the server, through the client" "$code" "400"
code=$(curl -s -o /dev/null -w '%{http_code}' "$C2_API/job/nope")
t_eq "an unknown job is 404 through the client" "$code" "404"
t_eq "the client's own agent/self" "$(curl -sf "$C2_API/agent/self" | jq -r '.config.NodeName')" "c2"
INDEX=$(curl -s -D - -o /dev/null "$C2_API/jobs" | tr -d '\r' | awk -F': ' 'tolower($1) == "x-nomad-index" {print $2}')
curl -sf "$C2_API/jobs?index=$INDEX&wait=20s" >"$T_TMP/blocked" &
BLOCKED=$!
t_run "register a job while a forwarded query blocks" 0 env CARAVAN_ADDR=http://127.0.0.1:$C2_HTTP "$CARAVAN" job run -detach "$T_TMP/after.nomad.hcl"
wait "$BLOCKED"
t_eq "the forwarded blocking query wakes with the new job" "$(jq -r 'map(.ID) | index("after") != null' "$T_TMP/blocked")" "true"
t_run "stop it again" 0 "$CARAVAN" job stop -purge -detach after

# Garbage on the RPC port closes that connection only.
python3 - "$RPC" <<'PY'
import socket, sys
for junk in (b"\x00\x00\x00\x03\xff\xff\xff", b"\xff\xff\xff\xff", b"GET / HTTP/1.0\r\n\r\n"):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.sendall(junk)
    s.settimeout(5)
    assert s.recv(1) == b"", "the server should hang up"
    s.close()
PY
t_ok $? "garbage on the RPC port is refused"
t_ok $(kill -0 "$SERVER"; echo $?) "the server still runs"

kill -9 "$C1"
wait "$C1" 2>/dev/null
node1_down() { api_check "$API/node/$NODE1" '.Status == "down"'; }
wait_until 100 node1_down
t_ok $? "a client killed with -9 is marked down after its TTL"
lost() { api_check "$API/job/spread/allocations" "any(.NodeID == \"$NODE1\" and .ClientStatus == \"lost\")"; }
wait_until 100 lost
t_ok $? "its alloc is lost"
t_eq "the other node is still ready" "$(curl -sf "$API/nodes" | jq -r '.[] | select(.Name == "c2") | .Status')" "ready"
blocked() { api_check "$API/job/spread/evaluations" 'any(.Status == "blocked")'; }
wait_until 100 blocked
t_ok $? "the replacement waits: no other node fits distinct_hosts"
start_client c3
C3=$!
replaced() {
    curl -sf "$API/job/spread/allocations" |
        jq -e --arg n1 "$NODE1" '[.[] | select(.ClientStatus == "running" and .NodeID != $n1)] | length == 2'
}
wait_until 150 replaced
t_ok $? "a third client joins and the replacement runs on it"

# The server goes away and comes back: the client finds it again.
kill -INT "$SERVER"
wait "$SERVER"
t_ok $? "the server stops cleanly"
start_server
server_up() { curl -sf "$API/nodes" >/dev/null; }
wait_until 100 server_up
t_ok $? "the server restarts on its data dir"
c2_ready() { api_check "$API/nodes" 'any(.Name == "c2" and .Status == "ready")'; }
wait_until 100 c2_ready
t_ok $? "the surviving client is ready with the restarted server"
reconnected() { grep -q "connected to server 127.0.0.1:$RPC" "$T_TMP/c2.log" && [ "$(grep -c "connected to server" "$T_TMP/c2.log")" -ge 2 ]; }
wait_until 100 reconnected
t_ok $? "the client reconnected"
t_run "run a job after the restart" 0 "$CARAVAN" job run -detach "$T_TMP/after.nomad.hcl"
done_after() { api_check "$API/job/after/allocations" 'any(.ClientStatus == "complete")'; }
wait_until 150 done_after
t_ok $? "it runs to completion on the reconnected client"

t_run "stop the spread job" 0 "$CARAVAN" job stop -detach spread
kill -INT "$C2" "$C3"
wait "$C2"
t_ok $? "the client agent exits cleanly"
wait "$C3"
kill -INT "$SERVER"
wait "$SERVER"
t_ok $? "the server agent exits cleanly"
done_testing
