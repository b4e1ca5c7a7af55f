#!/usr/bin/env bash
# A real dev agent on 127.0.0.1: `job run` places a raw_exec task that
# serves HTTP on its dynamic port, the API shows it running, a failing
# task follows its restart policy, and `job stop` kills the processes.
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
banner() { grep -q "Caravan agent started" "$T_TMP/agent.log"; }
wait_until 100 banner
t_ok $? "agent banner"

cat >"$T_TMP/web.nomad.hcl" <<'HCL'
job "web" {
  group "web" {
    count = 2
    update {
      min_healthy_time = "500ms"
    }
    network {
      port "http" {}
    }
    task "server" {
      driver = "raw_exec"
      config {
        command = "/usr/bin/python3"
        args    = ["-m", "http.server", "--bind", "127.0.0.1", "${NOMAD_PORT_http}"]
      }
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
HCL
t_run "job run places and monitors" 0 "$CARAVAN" job run "$T_TMP/web.nomad.hcl"
t_contains "monitor names the eval" "$T_OUT" "Monitoring evaluation"
t_contains "monitor lists allocations" "$T_OUT" 'created: node "'
t_contains "eval completes" "$T_OUT" 'finished with status "complete"'
t_contains "eval within a deployment" "$T_OUT" "Evaluation within deployment"
t_contains "the deployment is followed" "$T_OUT" "Monitoring deployment"
t_contains "the deployment succeeds" "$T_OUT" "Deployment completed successfully"
t_eq "the version is stable" "$(curl -sf "$API/job/web" | jq -r .Stable)" "true"

running() { api_check "$API/job/web/allocations" '[.[] | select(.ClientStatus == "running")] | length == 2'; }
wait_until 100 running
t_ok $? "both allocations run"
ALLOC=$(curl -sf "$API/job/web/allocations" | jq -r '.[0].ID')
HOSTPORT=$(curl -sf "$API/allocation/$ALLOC" | jq -r '.Ports[] | select(.Label == "http") | .Value')
t_ok $([ "$HOSTPORT" -ge 20000 ] && [ "$HOSTPORT" -le 32000 ]; echo $?) "dynamic port in 20000-32000 ($HOSTPORT)"
serving() { curl -sf "http://127.0.0.1:$HOSTPORT/" >/dev/null; }
wait_until 100 serving
t_ok $? "the task serves on NOMAD_PORT_http"
t_eq "task events" "$(curl -sf "$API/allocation/$ALLOC" | jq -r '[.TaskStates.server.Events[].Type] | join(",")')" "Received,Task Setup,Started"
t_eq "job status running" "$(curl -sf "$API/job/web" | jq -r .Status)" "running"
t_eq "summary running" "$(curl -sf "$API/job/web/summary" | jq -r .Summary.web.Running)" "2"

cat >"$T_TMP/flaky.nomad.hcl" <<'HCL'
job "flaky" {
  type = "batch"
  group "g" {
    restart {
      attempts = 1
      delay    = "1s"
      interval = "1m"
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
        args    = ["-c", "echo index=${NOMAD_ALLOC_INDEX}; exit 3"]
      }
    }
  }
}
HCL
t_run "failing batch job runs" 0 "$CARAVAN" job run -detach "$T_TMP/flaky.nomad.hcl"
failed() { api_check "$API/job/flaky/allocations" '.[0].ClientStatus == "failed"'; }
wait_until 100 failed
t_ok $? "the failing task ends failed after its restart"
EVENTS=$(curl -sf "$API/job/flaky/allocations" | jq -r '[.[0].TaskStates.t.Events[].DisplayMessage] | join("|")')
t_contains "restart event" "$EVENTS" "Task restarting in"
t_contains "gave up as Nomad says" "$EVENTS" 'Exceeded allowed attempts 1 in interval 1m0s and mode is "fail"'

PIDS_BEFORE=$(pgrep -f "http.server --bind 127.0.0.1" | wc -l)
t_ok $([ "$PIDS_BEFORE" -ge 2 ]; echo $?) "task processes exist before stop"
t_run "job stop" 0 curl -sf -X DELETE "$API/job/web"
stopped() { api_check "$API/job/web/allocations" '[.[] | select(.ClientStatus == "complete")] | length == 2'; }
wait_until 100 stopped
t_ok $? "stopped allocations complete"
gone() { ! pgrep -f "http.server --bind 127.0.0.1 $HOSTPORT"; }
wait_until 100 gone
t_ok $? "the task processes are gone"

# The API refuses bad requests with Nomad's codes and texts.
code() { curl -s -o "$T_TMP/body" -w '%{http_code}' "$@"; }
t_eq "malformed JSON is 400" "$(code -X PUT --data '{"Job": {' "$API/jobs")" "400"
t_contains "with the position" "$(cat "$T_TMP/body")" "1:"
t_eq "empty body is 400" "$(code -X PUT "$API/jobs")" "400"
t_contains "Nomad's text" "$(cat "$T_TMP/body")" "Request body is empty"
t_eq "invalid job is 500" "$(code -X PUT --data '{"Job":{"ID":"x","TaskGroups":[{"Name":"g","Tasks":[{"Name":"t"}]}]}}' "$API/jobs")" "500"
t_contains "validation text" "$(cat "$T_TMP/body")" "Missing task driver"
t_eq "unknown route is 404" "$(code "$API/nope")" "404"
t_eq "wrong method is 405" "$(code -X DELETE "$API/jobs")" "405"
t_eq "unknown job is 404" "$(code "$API/job/nope")" "404"
t_eq "bad index is 400" "$(code "$API/jobs?index=x")" "400"
t_eq "jobs/parse" "$(curl -sf -X PUT --data "$(jq -Rs '{JobHCL: ., Canonicalize: true}' "$T_TMP/web.nomad.hcl")" "$API/jobs/parse" | jq -r '.TaskGroups[0].Count, .Priority' | tr '\n' ' ')" "2 50 "
t_eq "jobs/parse reports HCL errors" "$(code -X PUT --data '{"JobHCL": "job {"}' "$API/jobs/parse")" "400"
t_eq "agent health" "$(curl -sf "$API/agent/health" | jq -r '.server.ok, .client.ok' | tr '\n' ' ')" "true true "

# A blocking query waits for the index to move, then answers.
IDX=$(curl -sf -D - -o /dev/null "$API/jobs" | tr -d '\r' | awk -F': ' 'tolower($1) == "x-nomad-index" {print $2}')
( sleep 0.5; "$CARAVAN" job run -detach "$T_TMP/flaky.nomad.hcl" >/dev/null 2>&1 ) &
NEWIDX=$(curl -sf -D - -o /dev/null "$API/jobs?index=$IDX&wait=10s" | tr -d '\r' | awk -F': ' 'tolower($1) == "x-nomad-index" {print $2}')
t_ok $([ "$NEWIDX" -gt "$IDX" ]; echo $?) "blocking query returns past index $IDX ($NEWIDX)"

kill -INT $AGENT
wait $AGENT
t_ok $? "the agent exits cleanly on SIGINT"
t_contains "shutdown message" "$(cat "$T_TMP/agent.log")" "Gracefully shutting down agent"
done_testing
