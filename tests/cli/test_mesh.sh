#!/usr/bin/env bash
# The gossip mesh with real agents on 127.0.0.1, encrypted: a server and
# two clients join through -join; every agent lists every member; a
# service registered on one client is seen on the other agents and
# answers a template there; an agent with another key is kept out and
# says why; the key is rotated with no member dropped; a client that
# leaves gracefully is "left", one killed with -9 is "failed" and keeps
# its services until force-leave removes them.
. "$(dirname "$0")/lib.sh"

K1=$("$CARAVAN" operator gossip keyring -generate)
K2=$("$CARAVAN" operator gossip keyring -generate)
K3=$("$CARAVAN" operator gossip keyring -generate)
SERF=$(free_port)
S_HTTP=$(free_port)
C1_HTTP=$(free_port)
C2_HTTP=$(free_port)
C3_HTTP=$(free_port)
OUT=$T_TMP/task-out
mkdir -p "$OUT"
cat >"$T_TMP/client.hcl" <<'HCL'
plugin "raw_exec" {
  config {
    enabled = true
  }
}
leave_on_interrupt = true
HCL
PIDS=
trap 'kill -9 $PIDS 2>/dev/null; pkill -9 -f "caravan-mesh-$$" 2>/dev/null; rm -rf "$T_TMP"' EXIT

"$CARAVAN" agent -server -data-dir "$T_TMP/s1" -bind 127.0.0.1 -node s1 \
    -http-port "$S_HTTP" -rpc-port 0 -serf-port "$SERF" -encrypt "$K1" \
    >"$T_TMP/s1.log" 2>&1 &
S1=$!
PIDS="$PIDS $S1"
start_client() { # name http-port key
    "$CARAVAN" agent -client -data-dir "$T_TMP/$1" -bind 127.0.0.1 -node "$1" \
        -http-port "$2" -serf-port 0 -join "127.0.0.1:$SERF" -encrypt "$3" \
        -config "$T_TMP/client.hcl" >"$T_TMP/$1.log" 2>&1 &
    PIDS="$PIDS $!"
}
start_client c1 "$C1_HTTP" "$K1"
C1=$!
start_client c2 "$C2_HTTP" "$K1"
C2=$!
S_API=http://127.0.0.1:$S_HTTP/v1
C1_API=http://127.0.0.1:$C1_HTTP/v1
C2_API=http://127.0.0.1:$C2_HTTP/v1
export CARAVAN_ADDR=http://127.0.0.1:$S_HTTP

alive_on() { # api n
    api_check "$1/agent/members" "[.Members[] | select(.Status == \"alive\")] | length == $2"
}
wait_until 150 alive_on "$S_API" 3
t_ok $? "the server lists three alive members"
wait_until 150 alive_on "$C1_API" 3
t_ok $? "so does c1"
wait_until 150 alive_on "$C2_API" 3
t_ok $? "so does c2"
t_run "caravan members" 0 "$CARAVAN" members
t_contains "lists the server" "$T_OUT" "s1.global"
t_contains "and the clients" "$T_OUT" "c2 "
t_run "caravan members -detailed" 0 "$CARAVAN" members -detailed
t_contains "with tags" "$T_OUT" "role=client"
t_eq "gossip is encrypted" "$(grep -c 'encryption on' "$T_TMP/s1.log")" "1"
wait_until 150 api_check "$S_API/nodes" '[.[] | select(.Status == "ready")] | length == 2'
t_ok $? "both clients found the server through the mesh and registered"

cat >"$T_TMP/cache.nomad.hcl" <<HCL
job "cache" {
  constraint {
    attribute = "\${node.unique.name}"
    value     = "c1"
  }
  group "g" {
    network {
      port "db" {}
    }
    service {
      name     = "cache-svc"
      port     = "db"
      provider = "nomad"
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "exec sleep 600", "caravan-mesh-$$"]
      }
    }
  }
}
HCL
t_run "run a service on c1" 0 "$CARAVAN" job run -detach "$T_TMP/cache.nomad.hcl"
C1_NODE=$(curl -sf "$C1_API/agent/self" | jq -r '.stats.client.node_id // empty')
on_c2() { api_check "$C2_API/service/cache-svc" 'length == 1'; }
wait_until 150 on_c2
t_ok $? "c2 sees c1's service, gossiped"
wait_until 150 api_check "$S_API/service/cache-svc" 'length == 1'
t_ok $? "so does the server, which runs no client"
PORT=$(curl -sf "$C1_API/service/cache-svc" | jq -r '.[0].Port')
t_eq "the same registration everywhere" "$(curl -sf "$C2_API/service/cache-svc" | jq -r '.[0].Port')" "$PORT"
t_run "service list through c2" 0 env CARAVAN_ADDR=http://127.0.0.1:$C2_HTTP "$CARAVAN" service list
t_contains "names it" "$T_OUT" "cache-svc"

cat >"$T_TMP/use.nomad.hcl" <<HCL
job "use" {
  constraint {
    attribute = "\${node.unique.name}"
    value     = "c2"
  }
  group "g" {
    task "t" {
      driver = "raw_exec"
      template {
        data        = "{{ range nomadService \\"cache-svc\\" }}CACHE={{ .Address }}:{{ .Port }}{{ end }}\\n"
        destination = "local/env.txt"
        env         = true
      }
      config {
        command = "/bin/sh"
        args    = ["-c", "echo \$CACHE >$OUT/use; exec sleep 600", "caravan-mesh-$$"]
      }
    }
  }
}
HCL
t_run "run a consumer on c2" 0 "$CARAVAN" job run -detach "$T_TMP/use.nomad.hcl"
used() { [ "$(cat "$OUT/use" 2>/dev/null)" = "127.0.0.1:$PORT" ]; }
wait_until 150 used
t_ok $? "its template on c2 found the service running on c1"

# An agent with another key cannot get in, and says why.
start_client c3 "$C3_HTTP" "$K2"
C3=$!
refused() { grep -q "join through 127.0.0.1:$SERF failed" "$T_TMP/c3.log"; }
wait_until 150 refused
t_ok $? "an agent with another key fails to join"
t_contains "and its log says why" "$(cat "$T_TMP/c3.log")" "must hold our gossip key"
t_ok $(api_check "$S_API/agent/members" '[.Members[] | select(.Name == "c3")] | length == 0'; echo $?) "the server never lists it"
t_ok $(api_check "$S_API/agent/self" '(.stats.serf.frames_refused | tonumber) + (.stats.serf.packets_refused | tonumber) > 0'; echo $?) "and counts what it refused"
t_eq "agent/self says gossip is encrypted" "$(curl -sf "$S_API/agent/self" | jq -r .stats.serf.encrypted)" "true"
kill -9 "$C3"

# Rotation: install, use, remove, with every member alive throughout.
keys_on_all() { # key n
    api_check "$S_API/agent/keyring/list" ".Keys[\"$1\"] == $2 and .NumNodes == $2"
}
t_run "install a new key" 0 "$CARAVAN" operator gossip keyring -install "$K3"
wait_until 150 keys_on_all "$K3" 3
t_ok $? "every member holds it"
t_run "use it" 0 "$CARAVAN" operator gossip keyring -use "$K3"
primary_on() { # http-port
    [ "$(jq -r '.[0]' "$T_TMP/$1/keyring" 2>/dev/null)" = "$K3" ]
}
wait_until 150 primary_on c1
t_ok $? "c1 sends with it"
wait_until 150 primary_on c2
t_ok $? "c2 too"
t_run "remove the old key" 0 "$CARAVAN" operator gossip keyring -remove "$K1"
old_gone() { api_check "$S_API/agent/keyring/list" ".Keys | has(\"$K1\") | not"; }
wait_until 150 old_gone
t_ok $? "the old key is gone from every member"
only_new() { [ "$(jq -c . "$T_TMP/c2/keyring")" = "[\"$K3\"]" ]; }
wait_until 150 only_new
t_ok $? "c2's keyring file holds the new key alone"
t_ok $(alive_on "$S_API" 3; echo $?) "all three members alive after the rotation"
t_eq "none was ever declared failed" "$(cat "$T_TMP/s1.log" "$T_TMP/c1.log" "$T_TMP/c2.log" | grep -c 'member failed')" "0"
t_ok $(api_check "$C2_API/service/cache-svc" 'length == 1'; echo $?) "services still resolve"

# A graceful leave (leave_on_interrupt) is "left" everywhere.
kill -INT "$C2"
left_on() { api_check "$1/agent/members" "[.Members[] | select(.Name == \"$2\" and .Status == \"$3\")] | length == 1"; }
wait_until 150 left_on "$S_API" c2 left
t_ok $? "c2 left: the server lists it as left"
wait "$C2"
t_ok $? "c2 exits cleanly after its leave"

# kill -9: failed, services kept (edge-friendly) until force-leave.
kill -9 "$C1"
wait_until 300 left_on "$S_API" c1 failed
t_ok $? "c1 killed with -9 is failed on the server"
t_ok $(api_check "$S_API/service/cache-svc" 'length == 1'; echo $?) "its service keeps resolving until it is reaped"
t_run "force-leave it" 0 "$CARAVAN" server force-leave c1
wait_until 150 left_on "$S_API" c1 left
t_ok $? "then it is left"
wait_until 150 api_check "$S_API/service/cache-svc" 'length == 0'
t_ok $? "and its service is gone"
t_run "force-leave of an unknown member" 1 "$CARAVAN" server force-leave nobody
t_contains "says so" "$T_ERR" "not found"

kill -INT "$S1"
wait "$S1"
t_ok $? "the server exits cleanly"
done_testing
