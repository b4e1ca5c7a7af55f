#!/usr/bin/env bash
# Job and alloc operations on a real dev agent: job plan (diff, dry run,
# exit codes), job run -check-index, job history, job revert, job inspect,
# alloc stop (the alloc is replaced), alloc restart (the task restarts in
# place), agent-info, and the errors of each.
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

write_job() { # file count
    cat >"$1" <<HCL
job "ops" {
  group "g" {
    count = $2
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
JOB1=$T_TMP/ops.nomad.hcl
JOB2=$T_TMP/ops2.nomad.hcl
write_job "$JOB1" 1
write_job "$JOB2" 2

# ------------------------------------------------------------------ plan
t_run "plan of a new job" 1 "$CARAVAN" job plan "$JOB1"
t_contains "new job is added" "$T_OUT" '+ Job: "ops"'
t_contains "new group creates" "$T_OUT" '+ Task Group: "g" (1 create)'
t_contains "new task forces create" "$T_OUT" '  + Task: "t" (forces create)'
t_contains "dry run" "$T_OUT" "Scheduler dry-run:
- All tasks successfully allocated."
t_contains "modify index of a new job" "$T_OUT" "Job Modify Index: 0"
t_contains "check-index hint" "$T_OUT" "caravan job run -check-index 0 $JOB1"
t_eq "plan commits nothing" "$(curl -s -o /dev/null -w '%{http_code}' "$API/job/ops")" 404

t_run "run the job" 0 "$CARAVAN" job run -detach "$JOB1"
running_one() { api_check "$API/job/ops/allocations" '[.[] | select(.ClientStatus == "running")] | length == 1'; }
wait_until 150 running_one
t_ok $? "the alloc runs"
JMI=$(curl -s "$API/job/ops" | jq .JobModifyIndex)

t_run "plan of an unchanged job" 0 "$CARAVAN" job plan "$JOB1"
t_contains "unchanged job has no marker" "$T_OUT" 'Job: "ops"
Task Group: "g" (1 ignore)
  Task: "t"'
t_contains "modify index of the stored job" "$T_OUT" "Job Modify Index: $JMI"

t_run "plan of a count change" 1 "$CARAVAN" job plan "$JOB2"
t_contains "count change annotated" "$T_OUT" '+/- Job: "ops"
+/- Task Group: "g" (1 create, 1 in-place update)
  +/- Count: "1" => "2" (forces create)
      Task: "t"'
t_run "plan -diff=false hides the diff" 1 "$CARAVAN" job plan -diff=false "$JOB2"
case $T_OUT in Scheduler\ dry-run:*) t_ok 0 "output starts at the dry run" ;; *) t_ok 1 "output starts at the dry run" ;; esac

plan_body=$("$CARAVAN" job run -output "$JOB2")
t_eq "plan endpoint answers Nomad's shape" \
    "$(curl -s -XPOST "$API/job/ops/plan" -d "{\"Job\": $(jq .Job <<<"$plan_body"), \"Diff\": true}" |
        jq -c '[.Diff.Type, .Annotations.DesiredTGUpdates.g.Place, .Annotations.DesiredTGUpdates.g.InPlaceUpdate, .JobModifyIndex]')" \
    "[\"Edited\",1,1,$JMI]"
t_eq "plan with a mismatched ID is refused" \
    "$(curl -s -o /dev/null -w '%{http_code}' -XPOST "$API/job/other/plan" -d "{\"Job\": $(jq .Job <<<"$plan_body")}")" 400
t_eq "plan with an empty body is refused" \
    "$(curl -s -o /dev/null -w '%{http_code}' -XPOST "$API/job/ops/plan")" 400

# ------------------------------------------------------- run -check-index
STALE=$((JMI - 1))
t_run "run with a stale check-index" 1 "$CARAVAN" job run -detach -check-index "$STALE" "$JOB2"
t_eq "stale index message" "$T_ERR" "Enforcing job modify index $STALE: job exists with conflicting job modify index: $JMI
Job not updated"
t_run "run with check-index 0 of an existing job" 1 "$CARAVAN" job run -detach -check-index 0 "$JOB2"
t_contains "exists message" "$T_ERR" "Enforcing job modify index 0: job already exists"
t_eq "nothing was registered" "$(curl -s "$API/job/ops" | jq .Version)" 0
t_run "run with the current check-index" 0 "$CARAVAN" job run -detach -check-index "$JMI" "$JOB2"
t_eq "the job moved to version 1" "$(curl -s "$API/job/ops" | jq '[.Version, .TaskGroups[0].Count]' | jq -c .)" "[1,2]"

# --------------------------------------------------------------- history
t_run "history" 0 "$CARAVAN" job history ops
t_contains "history shows version 1" "$T_OUT" "Version     = 1
Stable      = "
t_contains "history shows version 0" "$T_OUT" "Version     = 0"
t_run "history -p" 0 "$CARAVAN" job history -p ops
t_contains "history diff" "$T_OUT" 'Diff        = 
+/- Job: "ops"
+/- Task Group: "g"
  +/- Count: "1" => "2"'
t_run "history -full" 0 "$CARAVAN" job history -full -version 1 ops
t_contains "full job" "$T_OUT" "Full        = JSON Job:
{"
t_run "history -json" 0 "$CARAVAN" job history -json ops
t_eq "two versions in JSON" "$(jq -c '[.[].Version]' <<<"$T_OUT")" "[1,0]"
t_run "history -version 0" 0 "$CARAVAN" job history -version 0 ops
t_contains "only version 0" "$T_OUT" "Version     = 0"
t_run "history -version 5" 1 "$CARAVAN" job history -version 5 ops
t_contains "unknown version" "$T_ERR" "No job with version 5 found"
t_run "history of an unknown job" 1 "$CARAVAN" job history nope
t_contains "unknown job" "$T_ERR" 'No job(s) with prefix or ID "nope" found'
t_run "history without a job" 1 "$CARAVAN" job history
t_contains "history usage" "$T_ERR" "This command takes one argument: <job>"
t_eq "versions endpoint has diffs" \
    "$(curl -s "$API/job/ops/versions?diffs=true" | jq -c '[(.Versions | length), (.Diffs | length), .Diffs[0].Type]')" \
    '[2,1,"Edited"]'

# ---------------------------------------------------------------- revert
t_run "revert to version 0" 0 "$CARAVAN" job revert -detach ops 0
t_contains "revert prints the eval" "$T_OUT" "Evaluation ID: "
t_eq "revert made version 2 with version 0's spec" \
    "$(curl -s "$API/job/ops" | jq -c '[.Version, .TaskGroups[0].Count]')" "[2,1]"
t_run "revert to the current version" 1 "$CARAVAN" job revert ops 2
t_contains "current version refused" "$T_ERR" "can't revert to current version"
t_run "revert to a missing version" 1 "$CARAVAN" job revert ops 9
t_contains "missing version refused" "$T_ERR" 'job "ops" in namespace "default" at version 9 not found'
t_eq "revert endpoint with a mismatched ID" \
    "$(curl -s -o /dev/null -w '%{http_code}' -XPUT "$API/job/ops/revert" -d '{"JobID": "x", "JobVersion": 0}')" 400
t_eq "revert endpoint with a negative version" \
    "$(curl -s -o /dev/null -w '%{http_code}' -XPUT "$API/job/ops/revert" -d '{"JobID": "ops", "JobVersion": -1}')" 400
t_eq "plan endpoint with a non-object body" \
    "$(curl -s -XPUT "$API/job/ops/plan" -d '[]')" "Request body must be a JSON object"
t_run "revert with a bad version" 1 "$CARAVAN" job revert ops x
t_contains "bad version" "$T_ERR" 'Error parsing version value "x"'
t_run "revert with one argument" 1 "$CARAVAN" job revert ops
t_contains "revert usage" "$T_ERR" "This command takes two arguments: <job> <version>"

# --------------------------------------------------------------- inspect
t_run "inspect" 0 "$CARAVAN" job inspect op
t_eq "inspect wraps the job" "$(jq -c '[.Job.ID, .Job.Version]' <<<"$T_OUT")" '["ops",2]'
printf '%s\n' "$T_OUT" >"$T_TMP/inspect.json"
t_run "plan of the inspected job" 0 "$CARAVAN" job plan -json "$T_TMP/inspect.json"
t_contains "inspected job plans as unchanged" "$T_OUT" 'Job: "ops"
Task Group: "g" (1 ignore)'
t_run "inspect -version 1 -json" 0 "$CARAVAN" job inspect -version 1 -json ops
t_eq "the old version, bare" "$(jq -c '[.Version, .TaskGroups[0].Count]' <<<"$T_OUT")" "[1,2]"
t_run "inspect a missing version" 1 "$CARAVAN" job inspect -version 9 ops
t_run "inspect -json without a job lists the jobs" 0 "$CARAVAN" job inspect -json
t_eq "the job list" "$(jq -r '.[0].ID' <<<"$T_OUT")" ops
t_run "inspect without a job" 1 "$CARAVAN" job inspect
t_contains "inspect usage" "$T_ERR" "This command takes one argument: <job>"

# ------------------------------------------------------------- alloc stop
one_live() { [ "$(curl -s "$API/job/ops/allocations" | jq '[.[] | select(.DesiredStatus == "run" and .ClientStatus == "running")] | length')" = 1 ]; }
wait_until 150 one_live
t_ok $? "one alloc runs after the revert"
OLD=$(curl -s "$API/job/ops/allocations" | jq -r '.[] | select(.DesiredStatus == "run") | .ID')
t_run "alloc stop" 0 "$CARAVAN" alloc stop -detach "${OLD:0:8}"
EVAL=$T_OUT
t_eq "alloc stop prints the eval" "$(curl -s "$API/evaluation/$EVAL" | jq -r .TriggeredBy)" "alloc-stop"
replaced() {
    api_check "$API/job/ops/allocations" \
        "([.[] | select(.ID == \"$OLD\" and .DesiredStatus == \"stop\")] | length == 1) and
         ([.[] | select(.ID != \"$OLD\" and .DesiredStatus == \"run\" and .ClientStatus == \"running\")] | length == 1)"
}
wait_until 150 replaced
t_ok $? "the stopped alloc is replaced by a running one"
t_run "alloc stop of one character" 1 "$CARAVAN" alloc stop a
t_contains "short id" "$T_ERR" "Alloc ID must contain at least two characters."
t_run "alloc stop of an unknown alloc" 1 "$CARAVAN" alloc stop 0000
t_contains "unknown alloc" "$T_ERR" 'No allocation(s) with prefix or id "0000" found'
t_eq "stop endpoint of an unknown alloc" \
    "$(curl -s -o /dev/null -w '%{http_code}' -XPOST "$API/allocation/00000000-0000-0000-0000-000000000000/stop")" 404

# ---------------------------------------------------------- alloc restart
NEW=$(curl -s "$API/job/ops/allocations" | jq -r '.[] | select(.DesiredStatus == "run") | .ID')
t_run "alloc restart" 0 "$CARAVAN" alloc restart "${NEW:0:8}"
restarted() {
    api_check "$API/allocation/$NEW" \
        '.TaskStates.t.Restarts == 1 and .TaskStates.t.State == "running" and
         ([.TaskStates.t.Events[] | select(.Type == "Restart Signaled")] | length == 1) and
         (.TaskStates.t.Events[-1].Type == "Started")'
}
wait_until 150 restarted
t_ok $? "the task restarted in place"
t_run "alloc status shows the restart" 0 "$CARAVAN" alloc status "${NEW:0:8}"
t_contains "restart event" "$T_OUT" "Restart Signaled  User requested running tasks to restart"
t_run "alloc restart of an unknown task" 1 "$CARAVAN" alloc restart -task nope "${NEW:0:8}"
t_eq "unknown task" "$T_ERR" "Could not find task named: nope, found:
t"
t_run "alloc restart -all-tasks with a task" 1 "$CARAVAN" alloc restart -all-tasks "${NEW:0:8}" t
t_contains "all-tasks and a task" "$T_ERR" "The -all-tasks option is not allowed when restarting a specific task."
t_eq "restart endpoint of an alloc this client does not run" \
    "$(curl -s -o /dev/null -w '%{http_code}' -XPUT "$API/client/allocation/$OLD/restart" -d '{}')" 404

# -------------------------------------------- alloc restart -all-tasks
cat >"$T_TMP/two.nomad.hcl" <<'HCL'
job "two" {
  type = "batch"
  group "g" {
    task "once" {
      driver = "raw_exec"
      config {
        command = "/bin/true"
      }
    }
    task "long" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["300"]
      }
    }
  }
}
HCL
t_run "run a job with a finished and a running task" 0 "$CARAVAN" job run -detach "$T_TMP/two.nomad.hcl"
one_done() {
    api_check "$API/job/two/allocations" \
        '.[0].TaskStates.once.State == "dead" and .[0].TaskStates.long.State == "running"'
}
wait_until 150 one_done
t_ok $? "one task finished, the other runs"
TWO=$(curl -s "$API/job/two/allocations" | jq -r '.[0].ID')
t_run "alloc restart -all-tasks" 0 "$CARAVAN" alloc restart -all-tasks "${TWO:0:8}"
both_restarted() {
    api_check "$API/allocation/$TWO" \
        '.TaskStates.once.Restarts == 1 and .TaskStates.long.Restarts == 1 and
         ([.TaskStates.once.Events[] | select(.DisplayMessage == "User requested all tasks to restart")] | length == 1) and
         .TaskStates.once.State == "dead" and .TaskStates.long.State == "running"'
}
wait_until 150 both_restarted
t_ok $? "the finished task ran again and the running one restarted"

# ----------------------------------------------------------- alloc signal
t_run "alloc signal" 0 "$CARAVAN" alloc signal -s SIGCONT "${NEW:0:8}" t
signaled() {
    api_check "$API/allocation/$NEW" \
        '([.TaskStates.t.Events[] | select(.Type == "Signaling")] | length == 1) and .TaskStates.t.State == "running"'
}
wait_until 150 signaled
t_ok $? "the task got the signal and still runs"
t_run "alloc signal with a bad signal" 1 "$CARAVAN" alloc signal -s BOGUS "${NEW:0:8}"
t_contains "bad signal" "$T_ERR" 'Invalid signal "BOGUS"'

# --------------------------------------------------------- plan: errors
t_run "plan without a path" 255 "$CARAVAN" job plan
t_contains "plan usage" "$T_ERR" "This command takes one argument: <path>"
t_run "plan of a missing file" 255 "$CARAVAN" job plan "$T_TMP/missing.hcl"
t_contains "plan read error" "$T_ERR" "Error getting job struct"
t_run "plan with an unknown flag" 255 "$CARAVAN" job plan -nope "$JOB1"
t_contains "unknown flag" "$T_ERR" "flag provided but not defined: -nope"
write_job "$T_TMP/bad.nomad.hcl" -1
t_run "plan of an invalid job" 255 "$CARAVAN" job plan "$T_TMP/bad.nomad.hcl"
t_contains "validation error" "$T_ERR" "Error during plan: Unexpected response code: 500 ("
t_run "plan with no agent" 255 env CARAVAN_ADDR=http://127.0.0.1:1 "$CARAVAN" job plan "$JOB1"
t_contains "plan transport error" "$T_ERR" "Error during plan:"

# ------------------------------------------------------------ agent-info
t_run "agent-info" 0 "$CARAVAN" agent-info
t_contains "agent-info sections" "$T_OUT" "nomad
  bootstrap = true
  known_regions = 1
  leader = true
  server = true"
t_run "agent-info -json" 0 "$CARAVAN" agent-info -json
t_eq "agent-info JSON" "$(jq -r .stats.nomad.server <<<"$T_OUT")" true

# Under the sanitizers a leak or a bad access shows in the exit status.
kill -INT $AGENT
wait $AGENT
rc=$?
[ $rc -eq 0 ] || tail -40 "$T_TMP/agent.log" | sed 's/^/# agent: /'
t_ok $rc "the agent exits cleanly on SIGINT"
done_testing
