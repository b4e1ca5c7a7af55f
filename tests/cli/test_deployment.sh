#!/usr/bin/env bash
# Deployments on a real dev agent: a rolling update one alloc at a time,
# a broken update that fails and auto-reverts to the last stable version,
# canaries waiting for `deployment promote`, and pause/resume/fail, with
# the `deployment` commands and `job run`'s monitor exit statuses.
. "$(dirname "$0")/lib.sh"


PORT=$(free_port)
"$CARAVAN" agent -dev -http-port "$PORT" >"$T_TMP/agent.log" 2>&1 &
AGENT=$!
RUN_PID=
cleanup() {
    [ -n "$RUN_PID" ] && kill "$RUN_PID" 2>/dev/null
    kill -INT $AGENT 2>/dev/null
    wait $AGENT 2>/dev/null
    rm -rf "$T_TMP"
}
trap cleanup EXIT
export CARAVAN_ADDR=http://127.0.0.1:$PORT
API=$CARAVAN_ADDR/v1


node_ready() { api_check "$API/nodes" '.[0].Status == "ready"'; }
wait_until 100 node_ready
t_ok $? "the dev agent registers its node"

# jobspec CMD [EXTRA-UPDATE-LINE]: count 2, one at a time, quick health.
jobspec() {
    cat <<HCL
job "roll" {
  update {
    max_parallel      = 1
    min_healthy_time  = "1s"
    healthy_deadline  = "20s"
    progress_deadline = "60s"
    auto_revert       = true
    $2
  }
  group "web" {
    count = 2
    restart {
      attempts = 0
      mode     = "fail"
    }
    reschedule {
      attempts  = 0
      unlimited = false
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "$1"]
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

latest() { curl -sf "$API/job/roll/deployment"; }
latest_is() { # jq filter on the latest deployment
    local d
    d=$(latest) || return 1
    jq -e "$1" <<<"$d" >/dev/null
}

# ------------------------------------------------------------- version 0
jobspec "sleep 600" >"$T_TMP/v0.hcl"
t_run "job run v0" 0 timeout 60 "$CARAVAN" job run "$T_TMP/v0.hcl"
t_contains "v0 deployment successful" "$T_OUT" "Description = Deployment completed successfully"
t_ok $(api_check "$API/job/roll/versions" \
    '.Versions[] | select(.Version == 0) | .Stable == true'; echo $?) \
    "a successful deployment marks its job version stable"

# ----------------------------------------------- rolling update, 1 by 1
jobspec "sleep 601" >"$T_TMP/v1.hcl"
t_run "job run v1 (rolling)" 0 timeout 60 "$CARAVAN" job run "$T_TMP/v1.hcl"
t_contains "v1 deployment successful" "$T_OUT" "Status      = successful"
D1=$(latest | jq -r .ID)
curl -sf "$API/deployment/allocations/$D1" >"$T_TMP/d1allocs.json"
t_eq "the deployment placed two allocs" "$(jq length "$T_TMP/d1allocs.json")" 2
# max_parallel = 1: the second new alloc was created only after the first
# one was healthy (causal order, read from the records).
python3 - "$T_TMP/d1allocs.json" "$API" <<'PY'
import json, sys, urllib.request, datetime
stubs = sorted(json.load(open(sys.argv[1])), key=lambda a: a["CreateTime"])
first = json.load(urllib.request.urlopen(sys.argv[2] + "/allocation/" + stubs[0]["ID"]))
ts = first["DeploymentStatus"]["Timestamp"]
if isinstance(ts, str):
    ts = ts.rstrip("Z")
    whole, _, frac = ts.partition(".")
    t = datetime.datetime.fromisoformat(whole).replace(tzinfo=datetime.timezone.utc)
    ts = int(t.timestamp()) * 10**9 + int((frac + "000000000")[:9])
sys.exit(0 if stubs[1]["CreateTime"] >= ts else 1)
PY
t_ok $? "max_parallel 1: the second alloc waited for the first to be healthy"
t_run "deployment list" 0 "$CARAVAN" deployment list
t_contains "list header" "$T_OUT" "ID        Job ID  Job Version  Status      Description"
t_contains "list row" "$T_OUT" "${D1:0:8}  roll    1            successful  Deployment completed successfully"
t_run "deployment status by prefix" 0 "$CARAVAN" deployment status "${D1:0:8}"
t_contains "status block" "$T_OUT" "ID          = ${D1:0:8}
Job ID      = roll
Job Version = 1
Status      = successful
Description = Deployment completed successfully

Deployed
Task Group  Auto Revert  Desired  Placed  Healthy  Unhealthy  Progress Deadline"
t_run "status <deployment id> dispatches" 0 "$CARAVAN" status "${D1:0:8}"
t_contains "to deployment status" "$T_OUT" "ID          = ${D1:0:8}
Job ID      = roll"
t_run "deployment status -json" 0 "$CARAVAN" deployment status -json "${D1:0:8}"
t_eq "-json has the groups" "$(jq -r '.TaskGroups.web.HealthyAllocs' <<<"$T_OUT")" 2
t_run "deployment status without an id lists" 0 "$CARAVAN" deployment status
t_contains "the list" "$T_OUT" "ID        Job ID  Job Version  Status      Description"
t_run "-monitor with -json" 1 "$CARAVAN" deployment status -monitor -json "${D1:0:8}"
t_contains "is refused" "$T_ERR" "The monitor flag cannot be used with the '-json' or '-t' flags"
t_run "deployment status -monitor -verbose" 0 timeout 30 \
    "$CARAVAN" deployment status -monitor -verbose "${D1:0:8}"
t_contains "full ids" "$T_OUT" "Monitoring deployment \"$D1\""
t_contains "and the allocations" "$T_OUT" "Allocations
ID"
t_run "deployment status of nothing" 1 "$CARAVAN" deployment status ffffffff
t_contains "no match message" "$T_ERR" 'Deployment ID "ffffffff" matched no deployments'

# --------------------------------------------- failing update, rollback
jobspec "exit 1" >"$T_TMP/v2.hcl"
t_run "job run v2 (broken) ends failed" 1 timeout 90 "$CARAVAN" job run "$T_TMP/v2.hcl"
t_contains "failure and rollback described" "$T_OUT" \
    "Description = Failed due to unhealthy allocations - rolling back to job version 1"
t_contains "the monitor follows the rollback to its end" "$T_OUT" \
    "Description = Deployment completed successfully"
rolled_back() {
    api_check "$API/job/roll" \
        '.Version == 3 and .TaskGroups[0].Tasks[0].Config.args[1] == "sleep 601"'
}
wait_until 100 rolled_back
t_ok $? "auto_revert registered version 1's spec again (as version 3)"
wait_until 200 latest_is '.JobVersion == 3 and .Status == "successful"'
t_ok $? "the rollback deployment succeeds"
D2=$(curl -sf "$API/job/roll/deployments" | jq -r '.[] | select(.JobVersion == 2) | .ID')
t_run "deployment status -monitor of the failed rollout" 1 \
    timeout 30 "$CARAVAN" deployment status -monitor "${D2:0:8}"
t_contains "monitor heading" "$T_OUT" "Monitoring deployment \"${D2:0:8}\""
t_contains "it shows the failure" "$T_OUT" "Status      = failed"
t_contains "then the rollback it caused" "$T_OUT" "Job Version = 3"
t_run "deployment status -monitor of a success" 0 \
    timeout 30 "$CARAVAN" deployment status -monitor "${D1:0:8}"
two_running() {
    api_check "$API/job/roll/allocations" \
        '[.[] | select(.ClientStatus == "running" and .JobVersion == 3)] | length == 2'
}
wait_until 100 two_running
t_ok $? "two allocs of the rolled-back version run"

# ------------------------------------------------ canary, manual promote
jobspec "sleep 602" "canary = 1" >"$T_TMP/c1.hcl"
timeout 90 "$CARAVAN" job run "$T_TMP/c1.hcl" >"$T_TMP/run.out" 2>&1 &
RUN_PID=$!
wait_until 200 latest_is '.JobVersion == 4 and .TaskGroups.web.HealthyAllocs == 1'
t_ok $? "the canary becomes healthy"
t_ok $(latest_is '.Status == "running" and .StatusDescription == "Deployment is running but requires manual promotion"'; echo $?) \
    "the deployment waits for promotion"
D4=$(latest | jq -r .ID)
t_run "status shows canary columns" 0 "$CARAVAN" deployment status "${D4:0:8}"
t_contains "canary columns" "$T_OUT" \
    "Task Group  Auto Revert  Promoted  Desired  Canaries  Placed  Healthy  Unhealthy  Progress Deadline"
t_contains "canary row" "$T_OUT" "web         true         false     2        1         1       1        0"
kill -0 "$RUN_PID" 2>/dev/null
t_ok $? "job run still monitors the deployment awaiting promotion"
t_run "promote unknown group" 1 "$CARAVAN" deployment promote -group nope "${D4:0:8}"
t_contains "unknown group message" "$T_ERR" "has no task group \"nope\""
t_run "deployment promote" 0 timeout 60 "$CARAVAN" deployment promote "${D4:0:8}"
t_contains "promote monitors to success" "$T_OUT" "Status      = successful"
wait "$RUN_PID"
t_eq "job run exits 0 once the promoted deployment succeeds" $? 0
RUN_PID=
t_contains "job run saw the promotion through" "$(cat "$T_TMP/run.out")" \
    "Description = Deployment completed successfully"
t_run "promote a finished deployment" 1 "$CARAVAN" deployment promote "${D4:0:8}"
t_contains "terminal message" "$T_ERR" "can't promote terminal deployment"
t_run "job promote of a finished rollout" 1 "$CARAVAN" job promote roll
t_contains "names deployment and job" "$T_ERR" \
    "Error promoting deployment \"$D4\" for job \"roll\": "
t_contains "and why" "$T_ERR" "can't promote terminal deployment"

# ------------------------------------------------- canary, auto_promote
jobspec "sleep 604" "canary = 1
    auto_promote = true" >"$T_TMP/a1.hcl"
t_run "job run with auto_promote" 0 timeout 60 "$CARAVAN" job run "$T_TMP/a1.hcl"
t_contains "it waits for the automatic promotion" "$T_OUT" \
    "Description = Deployment is running pending automatic promotion"
t_contains "and ends successful" "$T_OUT" "Status      = successful"
t_ok $(latest_is '.JobVersion == 5 and .TaskGroups.web.Promoted == true'; echo $?) \
    "the canaries were promoted without a hand"

# --------------------------------------------- pause, resume and fail
jobspec "sleep 603" "canary = 1" >"$T_TMP/c2.hcl"
t_run "job run -detach c2" 0 "$CARAVAN" job run -detach "$T_TMP/c2.hcl"
wait_until 100 latest_is '.JobVersion == 6'
D6=$(latest | jq -r .ID)
t_run "deployment pause" 0 "$CARAVAN" deployment pause "${D6:0:8}"
t_eq "pause message" "$T_OUT" "Deployment \"$D6\" paused"
t_ok $(latest_is '.Status == "paused" and .StatusDescription == "Deployment is paused"'; echo $?) \
    "the deployment is paused"
t_run "deployment resume -detach" 0 "$CARAVAN" deployment resume -detach "${D6:0:8}"
t_ok $(latest_is '.Status == "running"'; echo $?) "the deployment runs again"
t_run "deployment fail -detach" 0 "$CARAVAN" deployment fail -detach "${D6:0:8}"
t_eq "fail message" "$T_OUT" \
    "Deployment \"$D6\" failed. Auto-reverted to job version 5."
t_ok $(api_check "$API/deployment/$D6" \
    '.Status == "failed" and .StatusDescription == "Deployment marked as failed - rolling back to job version 5"'; echo $?) \
    "failed by the user, rolling back"
wait_until 100 api_check "$API/job/roll" '.TaskGroups[0].Tasks[0].Config.args[1] == "sleep 604"'
t_ok $? "the job is back at version 5's spec"

# ------------------- a failed alloc with attempts left is replaced first
cat >"$T_TMP/resched.hcl" <<'HCL'
job "resched" {
  group "g" {
    update {
      min_healthy_time  = "1s"
      healthy_deadline  = "3s"
      progress_deadline = "7s"
    }
    restart {
      attempts = 0
      mode     = "fail"
    }
    reschedule {
      delay          = "5s"
      delay_function = "constant"
      unlimited      = true
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "exit 1"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
HCL
t_run "job run of an always failing task" 1 timeout 60 "$CARAVAN" job run "$T_TMP/resched.hcl"
t_contains "it fails by the progress deadline" "$T_OUT" \
    "Description = Failed due to progress deadline"
t_ok $(api_check "$API/job/resched/allocations" 'length >= 2'; echo $?) \
    "the failed alloc was replaced before the deadline"

# ------------------------------------------- health_check = "manual"
cat >"$T_TMP/manual.hcl" <<'HCL'
job "manual" {
  group "m" {
    update {
      health_check      = "manual"
      min_healthy_time  = "1s"
      healthy_deadline  = "50s"
      progress_deadline = "60s"
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["600"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
HCL
t_run "job run -detach manual" 0 "$CARAVAN" job run -detach "$T_TMP/manual.hcl"
m_running() {
    api_check "$API/job/manual/allocations" '.[0].ClientStatus == "running"'
}
wait_until 100 m_running
t_ok $? "the manual-health alloc runs"
DM=$(curl -sf "$API/job/manual/deployment" | jq -r .ID)
MA=$(curl -sf "$API/job/manual/allocations" | jq -r '.[0].ID')
t_ok $(api_check "$API/deployment/$DM" \
    '.Status == "running" and .TaskGroups.m.HealthyAllocs == 0'; echo $?) \
    "the client leaves manual health alone"
code=$(curl -s -o "$T_TMP/body" -w '%{http_code}' -X PUT \
    -d '{"HealthyAllocationIDs":["nope"]}' "$API/deployment/allocation-health/$DM")
t_eq "an unknown alloc is refused" "$code" 400
t_contains "naming it" "$(cat "$T_TMP/body")" 'unknown alloc "nope"'
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT \
    -d "{\"DeploymentID\":\"$DM\",\"HealthyAllocationIDs\":[\"$MA\"]}" \
    "$API/deployment/allocation-health/$DM")
t_eq "allocation-health accepts the alloc" "$code" 200
wait_until 100 api_check "$API/deployment/$DM" '.Status == "successful"'
t_ok $? "the deployment succeeds once its alloc is marked healthy"

# ------------------------------------------------------- job deployments
t_run "job deployments" 0 "$CARAVAN" job deployments roll
t_eq "newest first" "$(sed -n 2p <<<"$T_OUT" | awk '{print $3}')" \
    "$(curl -sf "$API/job/roll/deployments" | jq '[.[].JobVersion] | max')"
t_eq "one row per deployment" "$(($(wc -l <<<"$T_OUT") - 1))" \
    "$(curl -sf "$API/job/roll/deployments" | jq length)"
t_run "job deployments -latest" 0 "$CARAVAN" job deployments -latest ro
DL=$(latest | jq -r .ID)
t_contains "the latest block" "$T_OUT" "ID          = ${DL:0:8}
Job ID      = roll"
t_run "job deployments of no job" 1 "$CARAVAN" job deployments nosuchjob

# ---------------------------------------------------- job version stability
t_ok $(api_check "$API/job/roll/versions" \
    '.Versions[] | select(.Version == 2) | .Stable == false'; echo $?) \
    "the broken version 2 is not stable"
code=$(curl -s -o "$T_TMP/body" -w '%{http_code}' -X PUT \
    -d '{"JobID":"roll","JobVersion":2,"Stable":true}' "$API/job/roll/stable")
t_eq "PUT /v1/job/:id/stable" "$code" 200
t_ok $(jq -e '.JobModifyIndex > 0' "$T_TMP/body" >/dev/null; echo $?) \
    "answers the index"
t_ok $(api_check "$API/job/roll/versions" \
    '.Versions[] | select(.Version == 2) | .Stable == true'; echo $?) \
    "version 2 is marked stable by hand"
code=$(curl -s -o "$T_TMP/body" -w '%{http_code}' -X PUT \
    -d '{"JobVersion":99,"Stable":true}' "$API/job/roll/stable")
t_eq "an unknown version is a 404" "$code" 404
t_contains "naming it" "$(cat "$T_TMP/body")" 'job "roll" at version 99 not found'

# --------------------------------- deployments of an older job instance
t_run "purge the manual job" 0 "$CARAVAN" job stop -purge -detach manual
t_run "register it again" 0 "$CARAVAN" job run -detach "$T_TMP/manual.hcl"
wait_until 100 api_check "$API/job/manual/deployments" 'length == 2'
t_ok $? "the old instance's deployment is still kept"
t_run "job deployments of the new instance" 0 "$CARAVAN" job deployments manual
t_eq "shows only its own" "$(($(wc -l <<<"$T_OUT") - 1))" 1
t_run "job deployments -all" 0 "$CARAVAN" job deployments -all manual
t_eq "shows both" "$(($(wc -l <<<"$T_OUT") - 1))" 2

# ---------------------------------------------------------- bad requests
code=$(curl -s -o "$T_TMP/body" -w '%{http_code}' -X PUT -d '{"All": "yes"}' \
    "$API/deployment/promote/$D6")
t_eq "a non-boolean All is a 400" "$code" 400
t_contains "and says why" "$(cat "$T_TMP/body")" "All must be a boolean"
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -d '{}' \
    "$API/deployment/fail/00000000-0000-0000-0000-000000000000")
t_eq "failing an unknown deployment is a 404" "$code" 404

done_testing
