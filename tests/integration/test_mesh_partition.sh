#!/usr/bin/env bash
# The mesh across real hosts (network namespaces behind a switch): a
# server on host 1 and clients on hosts 2 and 3. Host 3 is cut off by a
# silent partition: the others declare it failed, its service keeps
# resolving on host 2 until the reap time, then goes; when the partition
# heals, host 3 comes back alive with its service. Prints TAP.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../cli/lib.sh"
. "$here/netns.sh"

if ! netns_available; then
    echo "1..0 # SKIP network namespaces cannot be created here (needs root and ip netns)"
    exit 0
fi
if ! netns_have_nft; then
    echo "1..0 # SKIP nft missing (scripts/install-deps.sh installs nftables)"
    exit 0
fi
netns_setup 3
t_ok $? "three hosts behind a switch"

cat >"$T_TMP/common.hcl" <<'HCL'
gossip {
  probe_interval     = "200ms"
  probe_timeout      = "100ms"
  suspicion_mult     = 2
  push_pull_interval = "2s"
  reconnect_interval = "1s"
  reap_time          = "6s"
}
server {
  min_heartbeat_ttl = "120s"
  heartbeat_grace   = "120s"
}
plugin "raw_exec" {
  config {
    enabled = true
  }
}
HCL
IP1=$(netns_ip 1)
netns_spawn 1 "$CARAVAN" agent -server -data-dir "$T_TMP/h1" -bind "$IP1" \
    -node h1 -config "$T_TMP/common.hcl" >"$T_TMP/h1.log" 2>&1
for h in 2 3; do
    netns_spawn "$h" "$CARAVAN" agent -client -data-dir "$T_TMP/h$h" \
        -bind "$(netns_ip "$h")" -node "h$h" -join "$IP1" \
        -config "$T_TMP/common.hcl" >"$T_TMP/h$h.log" 2>&1
done
# api HOST PATH: GET from inside host HOST's namespace, to its own agent.
api() { netns_exec "$1" curl -sf "http://$(netns_ip "$1"):4646/v1$2"; }
api_on() { # host path jq-filter
    local body
    body=$(api "$1" "$2") || return 1
    [ -n "$body" ] && jq -e "$3" <<<"$body" >/dev/null
}
status_of() { # host member
    api "$1" /agent/members | jq -r ".Members[] | select(.Name == \"$2\") | .Status"
}

wait_until 200 api_on 1 /agent/members '[.Members[] | select(.Status == "alive")] | length == 3'
t_ok $? "the server sees three alive members, each on its own host"
wait_until 200 api_on 1 /nodes '[.[] | select(.Status == "ready")] | length == 2'
t_ok $? "both clients registered over the hosts' network"

cat >"$T_TMP/svc.nomad.hcl" <<'HCL'
job "edge" {
  constraint {
    attribute = "${node.unique.name}"
    value     = "h3"
  }
  group "g" {
    network {
      port "http" {}
    }
    service {
      name     = "edge-svc"
      port     = "http"
      provider = "nomad"
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["600"]
      }
    }
  }
}
HCL
netns_exec 1 env CARAVAN_ADDR="http://$IP1:4646" "$CARAVAN" job run -detach "$T_TMP/svc.nomad.hcl" >/dev/null
t_ok $? "run a service on host 3"
wait_until 200 api_on 2 /service/edge-svc 'length == 1'
t_ok $? "host 2 resolves it"
t_eq "at host 3's address" "$(api 2 /service/edge-svc | jq -r '.[0].Address')" "$(netns_ip 3)"

netns_isolate 3
failed_on() { [ "$(status_of "$1" "$2")" = failed ]; }
wait_until 300 failed_on 1 h3
t_ok $? "host 3 cut off: the server declares it failed"
wait_until 300 failed_on 2 h3
t_ok $? "so does host 2"
t_ok $(api_on 2 /service/edge-svc 'length == 1'; echo $?) "its service still resolves on host 2 (before the reap time)"
wait_until 300 api_on 2 /service/edge-svc 'length == 0'
t_ok $? "after the reap time it is gone"

netns_heal
alive_on() { [ "$(status_of "$1" "$2")" = alive ]; }
wait_until 300 alive_on 1 h3
t_ok $? "healed: host 3 is alive again on the server"
wait_until 300 api_on 2 /service/edge-svc 'length == 1'
t_ok $? "and its service is back on host 2"

done_testing
