#!/usr/bin/env bash
# `caravan agent -config`: HCL and JSON files, a directory of them, flags
# over files, and unknown keys refused with the file named.
. "$(dirname "$0")/lib.sh"

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$T_TMP/conf"
cat >"$T_TMP/conf/10-agent.hcl" <<HCL
data_dir   = "$T_TMP/data"
bind_addr  = "127.0.0.1"
datacenter = "edge1"
ports {
  http = 1
}
server {
  enabled = true
}
client {
  enabled = true
}
plugin "raw_exec" {
  config {
    enabled = true
  }
}
HCL
cat >"$T_TMP/conf/20-port.json" <<JSON
{"ports": {"http": $PORT}, "region": "europe"}
JSON
"$CARAVAN" agent -config "$T_TMP/conf" -dc edge2 -rpc-port 0 -serf-port 0 >"$T_TMP/agent.log" 2>&1 &
AGENT=$!
trap 'kill -INT $AGENT 2>/dev/null; wait $AGENT 2>/dev/null; rm -rf "$T_TMP"' EXIT
API=http://127.0.0.1:$PORT/v1
up() { api_check "$API/nodes" '.[0].Status == "ready"'; }
for _ in $(seq 100); do up && break; sleep 0.1; done
up
t_ok $? "the agent runs on the later file's port"
t_contains "files named in the banner" "$(cat "$T_TMP/agent.log")" "Loaded configuration from $T_TMP/conf/10-agent.hcl"
t_eq "the flag beats the file" "$(curl -sf "$API/nodes" | jq -r '.[0].Datacenter')" "edge2"
t_eq "plugin config enables raw_exec" "$(curl -sf "$API/nodes" | jq -r '.[0].Drivers.raw_exec.Healthy')" "true"
t_eq "region from JSON" "$(curl -sf "$API/regions" | jq -r '.[0]')" "europe"
kill -INT $AGENT
wait $AGENT
t_ok $? "clean exit"

echo 'colour = "blue"' >"$T_TMP/bad.hcl"
t_run "unknown key refused" 1 "$CARAVAN" agent -config "$T_TMP/bad.hcl"
t_contains "names file and key" "$T_ERR" "bad.hcl: unexpected keys colour"
t_run "missing file refused" 1 "$CARAVAN" agent -config "$T_TMP/none.hcl"
t_contains "names the path" "$T_ERR" "none.hcl"
printf 'ports {\n  http = "x"\n' >"$T_TMP/broken.hcl"
t_run "HCL syntax error refused" 1 "$CARAVAN" agent -config "$T_TMP/broken.hcl"
t_contains "with its position" "$T_ERR" "broken.hcl:"
printf 'gossip {\n  profile = "fast"\n}\n' >"$T_TMP/gossip.hcl"
t_run "unknown gossip profile refused" 1 "$CARAVAN" agent -dev -config "$T_TMP/gossip.hcl"
t_contains "names the choices" "$T_ERR" 'gossip.profile must be "lan", "wan" or "local"'
printf 'gossip {\n  probe_interval = "soon"\n}\n' >"$T_TMP/gossip.hcl"
t_run "a bad gossip duration refused" 1 "$CARAVAN" agent -dev -config "$T_TMP/gossip.hcl"
t_contains "names the knob" "$T_ERR" "gossip.probe_interval must be a positive duration"
printf 'gossip {\n  suspicion_mult = 2.5\n}\n' >"$T_TMP/gossip.hcl"
t_run "a fractional count refused" 1 "$CARAVAN" agent -dev -config "$T_TMP/gossip.hcl"
t_contains "says what it wants" "$T_ERR" "gossip.suspicion_mult must be a whole number"
printf 'gossip {\n  probe_interval = "100ms"\n  probe_timeout = "200ms"\n}\n' >"$T_TMP/gossip.hcl"
t_run "a timeout past the interval refused" 1 "$CARAVAN" agent -dev -config "$T_TMP/gossip.hcl"
t_contains "by the mesh's own check" "$T_ERR" "probe_timeout must be > 0 and below"
t_run "a bad -retry-interval refused" 1 "$CARAVAN" agent -dev -retry-interval often
t_contains "names the flag" "$T_ERR" "Invalid -retry-interval"
done_testing
