#!/usr/bin/env bash
# Periodic jobs on a server+client agent with a data dir: children launched
# at their cron seconds, prohibit_overlap, `job periodic force`, job status,
# and a launch missed while the agent was down made up once at restart.
. "$(dirname "$0")/lib.sh"


PORT=$(free_port)
DATA=$T_TMP/data
start_agent() {
    "$CARAVAN" agent -server -client -data-dir "$DATA" -bind 127.0.0.1 -rpc-port 0 -serf-port 0 \
        -http-port "$PORT" -config "$T_TMP/agent.hcl" >>"$T_TMP/agent.log" 2>&1 &
    AGENT=$!
}
# raw_exec is opt-in outside -dev, as in Nomad.
cat >"$T_TMP/agent.hcl" <<'HCL'
plugin "raw_exec" {
  config {
    enabled = true
  }
}
HCL
start_agent
trap 'kill -9 $AGENT 2>/dev/null; rm -rf "$T_TMP"' EXIT
export CARAVAN_ADDR=http://127.0.0.1:$PORT
API=$CARAVAN_ADDR/v1
node_ready() { api_check "$API/nodes" '.[0].Status == "ready"'; }
wait_until 100 node_ready
t_ok $? "agent is up"

cat >"$T_TMP/tick.nomad.hcl" <<'HCL'
job "tick" {
  type = "batch"
  periodic {
    crons = ["0/3 * * * * * *"]
  }
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
t_run "run a periodic job" 0 "$CARAVAN" job run "$T_TMP/tick.nomad.hcl"
t_contains "no eval, the next launch instead" "$T_OUT" "Approximate next launch time: "
t_contains "in RFC 3339 and from now" "$T_OUT" "s from now)"

children() { # job -> number of its periodic children
    curl -sf "$API/jobs?prefix=$1/periodic-" | jq 'length'
}
has_children() { [ "$(children "$1")" -ge "$2" ]; }
wait_until 100 has_children tick 2
t_ok $? "children are launched every 3 seconds"
CHILD=$(curl -sf "$API/jobs?prefix=tick/periodic-" | jq -r '.[0].ID')
t_ok $([[ $CHILD =~ ^tick/periodic-[0-9]+$ ]]; echo $?) "child id $CHILD"
CHILD_URL=${CHILD//\//%2F}
SECS=${CHILD##*-}
t_eq "launched on a cron second" "$((SECS % 3))" "0"
t_eq "the child names its parent" "$(curl -sf "$API/job/$CHILD_URL" | jq -r '.ParentID')" "tick"
t_eq "the child is not periodic itself" "$(curl -sf "$API/job/$CHILD_URL" | jq -r '.Periodic')" "null"
child_dead() { api_check "$API/job/$CHILD_URL" '.Status == "dead"'; }
wait_until 100 child_dead
t_ok $? "the child ran to completion"

t_run "status of the parent" 0 "$CARAVAN" job status tick
t_contains "next launch" "$T_OUT" "Next Periodic Launch = "
t_contains "children listed" "$T_OUT" "Previously Launched Jobs"
t_contains "a child" "$T_OUT" "$CHILD"

# prohibit_overlap: while a child runs, launches are skipped, and logged.
cat >"$T_TMP/slow.nomad.hcl" <<'HCL'
job "slow" {
  type = "batch"
  periodic {
    crons            = ["0/2 * * * * * *"]
    prohibit_overlap = true
  }
  group "g" {
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
t_run "run an overlapping job" 0 "$CARAVAN" job run -detach "$T_TMP/slow.nomad.hcl"
two_skips() { [ "$(grep -c 'skipping launch of periodic job slow ' "$T_TMP/agent.log")" -ge 2 ]; }
wait_until 150 two_skips
t_ok $? "launches are skipped while a child runs"
t_eq "one child only" "$(children slow)" "1"

t_run "force a launch" 0 "$CARAVAN" job periodic force -detach slow
t_contains "force output" "$T_OUT" "Force periodic successful"
t_contains "its eval" "$T_OUT" "Evaluation ID: "
t_eq "force ignores prohibit_overlap" "$(children slow)" "2"
t_run "force a job that is not periodic" 1 "$CARAVAN" job periodic force "$CHILD"
t_contains "only periodic jobs" "$T_ERR" "No periodic job(s) with prefix or ID \"$CHILD\" found"
t_run "force an unknown job" 1 "$CARAVAN" job periodic force nope
code=$(curl -s -o "$T_TMP/body" -w '%{http_code}' -X POST "$API/job/$CHILD_URL/periodic/force")
t_eq "HTTP force of a non-periodic job" "$code" "500"
t_contains "its message" "$(cat "$T_TMP/body")" "can't force launch non-periodic job"
code=$(curl -s -o "$T_TMP/body" -w '%{http_code}' -X POST "$API/job/nope/periodic/force")
t_eq "HTTP force of an unknown job" "$code" "500"
t_run "stop the overlapping job" 0 "$CARAVAN" job stop -detach slow
t_run "status of the stopped parent" 0 "$CARAVAN" job status slow
t_contains "no next launch once stopped" "$T_OUT" "Next Periodic Launch = none (job stopped)"

# A launch missed while the agent is down is made up once at restart.
kill -9 $AGENT
wait $AGENT 2>/dev/null
DOWN=$(date +%s)
# The downtime itself must span a cron second: real time has to pass.
sleep 4
UP=$(date +%s)
start_agent
wait_until 100 node_ready
t_ok $? "the agent restarts on its data dir"
caught_up() { grep -q "periodic job tick missed a launch" "$T_TMP/agent.log"; }
wait_until 50 caught_up
t_ok $? "the missed launch is noticed"
t_eq "and made up once" "$(grep -c 'periodic job tick missed a launch' "$T_TMP/agent.log")" "1"
in_downtime=$(curl -sf "$API/jobs?prefix=tick/periodic-" |
    jq --argjson d "$DOWN" --argjson u "$UP" \
        '[.[] | .ID | ltrimstr("tick/periodic-") | tonumber | select(. > $d and . < $u)] | length')
t_eq "no child dated inside the downtime" "$in_downtime" "0"
made_up() {
    curl -sf "$API/jobs?prefix=tick/periodic-" |
        jq -e --argjson u "$UP" '[.[] | .ID | ltrimstr("tick/periodic-") | tonumber | select(. >= $u)] | length > 0'
}
wait_until 50 made_up
t_ok $? "a child launched at restart"

t_run "purge the periodic job" 0 "$CARAVAN" job stop -purge tick
t_run "it is gone" 1 "$CARAVAN" job status tick
kill -INT $AGENT
wait $AGENT
t_ok $? "the agent exits cleanly"
done_testing
