#!/usr/bin/env bash
# Node operations on a real dev agent: an ineligible node gets no new
# placements (the eval blocks with Nomad's "No nodes were eligible"),
# eligible again it gets them; a drain of the only node stops its allocs
# (nowhere to migrate) and ends at its deadline; `system gc` removes a
# stopped job with its evals and allocs and keeps a running one; bad ids,
# flags and bodies get Nomad's errors and change nothing.
. "$(dirname "$0")/lib.sh"


PORT=$(free_port)
"$CARAVAN" agent -dev -http-port "$PORT" >"$T_TMP/agent.log" 2>&1 &
AGENT=$!
trap 'kill -INT $AGENT 2>/dev/null; wait $AGENT 2>/dev/null; rm -rf "$T_TMP"' EXIT
export CARAVAN_ADDR=http://127.0.0.1:$PORT
API=$CARAVAN_ADDR/v1


node_ready() { api_check "$API/nodes" '.[0].Status == "ready"'; }
wait_until 100 node_ready
t_ok $? "the dev agent registers its node"
NODE=$(curl -sf "$API/nodes" | jq -r '.[0].ID')
node_field() { curl -sf "$API/node/$NODE" | jq -r "$1"; }

job_file() { # name count
    cat >"$T_TMP/$1.nomad.hcl" <<HCL
job "$1" {
  group "g" {
    count = $2
    update {
      min_healthy_time = "200ms"
    }
    migrate {
      min_healthy_time = "200ms"
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["300"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
HCL
}

# ------------------------------------------------------- bad input first
t_run "eligibility needs -enable or -disable" 1 "$CARAVAN" node eligibility "$NODE"
t_contains "says so" "$T_ERR" "Either the '-enable' or '-disable' flag must be set"
t_run "eligibility needs a node" 1 "$CARAVAN" node eligibility -disable
t_contains "names the missing node" "$T_ERR" "Node ID must be specified if -self isn't being used"
t_run "unknown node" 1 "$CARAVAN" node eligibility -disable ffff0000
t_contains "not found text" "$T_ERR" 'No node(s) with prefix or id "ffff0000" found'
t_run "one-character id" 1 "$CARAVAN" node drain -enable f
t_contains "too short" "$T_ERR" "Identifier must contain at least two characters."
t_run "-force with -no-deadline" 1 "$CARAVAN" node drain -enable -force -no-deadline "$NODE"
t_contains "exclusive" "$T_ERR" "-force and -no-deadline are mutually exclusive"
t_run "-disable with a deadline" 1 "$CARAVAN" node drain -disable -deadline 1h "$NODE"
t_contains "no strategy on disable" "$T_ERR" "-disable can't be combined with flags configuring drain strategy"
t_run "bad deadline" 1 "$CARAVAN" node drain -enable -deadline soon "$NODE"
t_contains "parse error" "$T_ERR" 'Failed to parse deadline "soon"'
t_run "zero deadline" 1 "$CARAVAN" node drain -enable -deadline 0s "$NODE"
t_contains "positive" "$T_ERR" "A positive drain duration must be given"
t_run "drain needs -enable or -disable" 1 "$CARAVAN" node drain "$NODE"
t_contains "drain flag text" "$T_ERR" "Either the '-enable' or '-disable' flag must be set, unless using '-monitor'"
t_run "monitor without a drain" 0 "$CARAVAN" node drain -monitor "$NODE"
t_contains "nothing to monitor" "$T_ERR" "No drain strategy set"
t_run "system gc takes no arguments" 1 "$CARAVAN" system gc extra
t_contains "gc arg text" "$T_ERR" "This command takes no arguments"

code() { curl -s -o "$T_TMP/body" -w '%{http_code}' "$@"; }
t_eq "bad eligibility is 500" "$(code -X POST --data '{"Eligibility":"maybe"}' "$API/node/$NODE/eligibility")" "500"
t_contains "names the value" "$(cat "$T_TMP/body")" 'invalid scheduling eligibility "maybe"'
t_eq "unknown node is 500" "$(code -X POST --data '{"Eligibility":"ineligible"}' "$API/node/ffff/eligibility")" "500"
t_contains "node not found" "$(cat "$T_TMP/body")" "node not found"
t_eq "empty eligibility body is 400" "$(code -X POST "$API/node/$NODE/eligibility")" "400"
t_contains "EOF as Go says" "$(cat "$T_TMP/body")" "EOF"
t_eq "wrong type is 400" "$(code -X POST --data '{"Eligibility":5}' "$API/node/$NODE/eligibility")" "400"
t_contains "names the field" "$(cat "$T_TMP/body")" "NodeUpdateEligibilityRequest.Eligibility"
t_eq "malformed drain body is 400" "$(code -X POST --data '{"DrainSpec":' "$API/node/$NODE/drain")" "400"
t_eq "drain spec of the wrong type is 400" "$(code -X POST --data '{"DrainSpec":"now"}' "$API/node/$NODE/drain")" "400"
t_eq "drain of an unknown node is 500" "$(code -X POST --data '{"DrainSpec":{"Deadline":1}}' "$API/node/ffff/drain")" "500"
t_eq "gc wants PUT" "$(code -X GET "$API/system/gc")" "405"
t_eq "nothing changed the node" "$(node_field '.SchedulingEligibility, .DrainStrategy, .LastDrain' | tr '\n' ' ')" "eligible null null "

# ---------------------------------------------------------- eligibility
t_run "disable eligibility" 0 "$CARAVAN" node eligibility -disable "${NODE:0:8}"
t_eq "as Nomad prints it" "$T_OUT" "Node \"$NODE\" scheduling eligibility set: ineligible for scheduling"
t_eq "node ineligible" "$(node_field .SchedulingEligibility)" "ineligible"
t_contains "node event" "$(node_field '.Events[].Message')" "Node marked as ineligible for scheduling"
t_run "node status shows it" 0 "$CARAVAN" node status
t_contains "list row" "$T_OUT" "ineligible"

job_file web 2
t_run "a job while ineligible" 0 "$CARAVAN" job run -detach "$T_TMP/web.nomad.hcl"
blocked() { api_check "$API/job/web/evaluations" '[.[] | select(.Status == "blocked")] | length == 1'; }
wait_until 100 blocked
t_ok $? "its eval blocks"
t_eq "nothing placed" "$(curl -sf "$API/job/web/allocations" | jq length)" "0"
t_run "job status" 0 "$CARAVAN" job status web
t_contains "placement failure" "$T_OUT" "$(printf 'Placement Failure\nTask Group "g":\n  * No nodes were eligible for evaluation')"

t_run "enable eligibility" 0 "$CARAVAN" node eligibility -enable -self
t_eq "enable output" "$T_OUT" "Node \"$NODE\" scheduling eligibility set: eligible for scheduling"
healthy() { api_check "$API/job/web/allocations" '[.[] | select(.ClientStatus == "running" and .DeploymentStatus.Healthy == true)] | length == 2'; }
wait_until 150 healthy
t_ok $? "the blocked eval places both allocs once eligible"

# ---------------------------------------------------------------- drain
t_run "drain the only node" 0 "$CARAVAN" node drain -enable -deadline 3s -yes -self
t_contains "strategy set" "$T_OUT" "Node \"$NODE\" drain strategy set"
t_contains "a migration" "$T_OUT" "marked for migration"
t_contains "drain complete" "$T_OUT" "Drain complete for node $NODE"
t_contains "all stopped" "$T_OUT" "All allocations on node \"$NODE\" have stopped"
t_eq "allocs stopped (nowhere to go)" "$(curl -sf "$API/job/web/allocations" | jq -r '[.[] | select(.DesiredStatus == "stop" and .DesiredTransition.Migrate == true)] | length')" "2"
t_eq "drain over, node stays ineligible" "$(node_field '.DrainStrategy, .Drain, .SchedulingEligibility, .LastDrain.Status' | tr '\n' ' ')" "null false ineligible complete "
t_contains "drain events" "$(node_field '.Events[].Message')" "$(printf 'Node drain strategy set\nNode drain complete')"
t_eq "the replacements wait for a node" "$(curl -sf "$API/job/web/evaluations" | jq -r '[.[] | select(.Status == "blocked")] | length')" "1"

t_run "disable the drain" 0 "$CARAVAN" node drain -disable -yes "$NODE"
t_eq "unset output" "$T_OUT" "Node \"$NODE\" drain strategy unset"
t_eq "eligible again" "$(node_field .SchedulingEligibility)" "eligible"
wait_until 150 healthy
t_ok $? "the replacements place once the node is back"

# ------------------------------------------------------------------- gc
job_file keep 1
t_run "a job that stays" 0 "$CARAVAN" job run -detach "$T_TMP/keep.nomad.hcl"
keep_running() { api_check "$API/job/keep/allocations" '[.[] | select(.ClientStatus == "running")] | length == 1'; }
wait_until 150 keep_running
t_ok $? "it runs"
t_run "stop web" 0 "$CARAVAN" job stop -detach web
web_done() { api_check "$API/job/web/allocations" '[.[] | select(.ClientStatus == "running" or .ClientStatus == "pending")] | length == 0'; }
wait_until 150 web_done
t_ok $? "its allocs stop"
t_run "system gc" 0 "$CARAVAN" system gc
t_eq "gc prints nothing" "$T_OUT" ""
t_run "the stopped job is gone" 1 "$CARAVAN" job status web
t_contains "not found" "$T_ERR" 'No job(s) with prefix or ID "web" found'
t_eq "its evals are gone" "$(curl -sf "$API/evaluations" | jq '[.[] | select(.JobID == "web")] | length')" "0"
t_eq "its allocs are gone" "$(curl -sf "$API/allocations" | jq '[.[] | select(.JobID == "web")] | length')" "0"
t_eq "the running job stays" "$(curl -sf "$API/job/keep" | jq -r .Status)" "running"
t_eq "with its alloc" "$(curl -sf "$API/job/keep/allocations" | jq length)" "1"

# ---------------------------------------------------- system jobs go last
job_file sys 1
sed -i 's/^job "sys" {/job "sys" {\n  type = "system"/; /count = 1/d' "$T_TMP/sys.nomad.hcl"
t_run "a system job" 0 "$CARAVAN" job run -detach "$T_TMP/sys.nomad.hcl"
sys_running() { api_check "$API/job/sys/allocations" '[.[] | select(.ClientStatus == "running")] | length == 1'; }
wait_until 150 sys_running
t_ok $? "it runs on the node"
t_run "a forced drain ignoring system jobs" 0 "$CARAVAN" node drain -enable -force -ignore-system -yes -self
t_contains "ends" "$T_OUT" "All allocations on node \"$NODE\" have stopped"
t_eq "the service alloc stopped" "$(curl -sf "$API/job/keep/allocations" | jq -r '.[0].DesiredStatus')" "stop"
t_eq "the system alloc stays" "$(curl -sf "$API/job/sys/allocations" | jq -r '.[0].DesiredStatus + " " + .[0].ClientStatus')" "run running"
t_run "a forced drain with them" 0 "$CARAVAN" node drain -enable -force -yes -self
t_eq "the system alloc went too" "$(curl -sf "$API/job/sys/allocations" | jq -r '.[0].DesiredStatus')" "stop"

# ------------------------------------------------ periodic GC, from config
cat >"$T_TMP/bad.hcl" <<'HCL'
server {
  job_gc_threshold = "soon"
}
HCL
t_run "a bad GC threshold stops the agent" 1 timeout 20 "$CARAVAN" agent -dev -config "$T_TMP/bad.hcl" -http-port "$(free_port)"
t_contains "naming the setting" "$T_OUT$T_ERR" 'server.job_gc_threshold must be a positive duration'

cat >"$T_TMP/gc.hcl" <<'HCL'
server {
  job_gc_interval         = "1s"
  job_gc_threshold        = "1s"
  eval_gc_threshold       = "1s"
  batch_eval_gc_threshold = "1s"
}
HCL
PORT2=$(free_port)
"$CARAVAN" agent -dev -config "$T_TMP/gc.hcl" -http-port "$PORT2" >"$T_TMP/agent2.log" 2>&1 &
AGENT2=$!
trap 'kill -INT $AGENT $AGENT2 2>/dev/null; wait $AGENT $AGENT2 2>/dev/null; rm -rf "$T_TMP"' EXIT
API2=http://127.0.0.1:$PORT2/v1
node2_ready() { api_check "$API2/nodes" '.[0].Status == "ready"'; }
wait_until 100 node2_ready
t_ok $? "a second agent with short GC thresholds"
cat >"$T_TMP/quick.nomad.hcl" <<'HCL'
job "quick" {
  type = "batch"
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/true"
      }
    }
  }
}
HCL
t_run "a batch job that finishes" 0 "$CARAVAN" job run -detach -address "http://127.0.0.1:$PORT2" "$T_TMP/quick.nomad.hcl"
collected() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$API2/job/quick")" = 404 ]; }
wait_until 300 collected
t_ok $? "the periodic GC removes the dead batch job"
t_eq "with its evals" "$(curl -sf "$API2/evaluations" | jq length)" "0"

done_testing
