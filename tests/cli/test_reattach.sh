#!/usr/bin/env bash
# An agent with a data dir (server and client) is killed with -9 while an
# exec task runs (raw_exec is off outside -dev, as in Nomad); the restarted agent finds the task again by pid and start
# time instead of starting a second copy, and still sees it exit.
. "$(dirname "$0")/lib.sh"


PORT=$(free_port)
DATA=$T_TMP/data
start_agent() {
    "$CARAVAN" agent -server -client -data-dir "$DATA" -bind 127.0.0.1 -rpc-port 0 -serf-port 0 \
        -http-port "$PORT" >>"$T_TMP/agent.log" 2>&1 &
    AGENT=$!
}
start_agent
trap 'kill -9 $AGENT 2>/dev/null; pkill -9 -f "caravan-reattach-marker" 2>/dev/null; rm -rf "$T_TMP"' EXIT
export CARAVAN_ADDR=http://127.0.0.1:$PORT
API=$CARAVAN_ADDR/v1
node_ready() { api_check "$API/nodes" '.[0].Status == "ready"'; }
wait_until 100 node_ready
t_ok $? "server+client agent with a data dir is up"

cat >"$T_TMP/long.nomad.hcl" <<'HCL'
job "long" {
  type = "batch"
  group "g" {
    task "t" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo before; while [ ! -e /local/done ]; do sleep 0.1; done; echo after", "caravan-reattach-marker"]
      }
    }
  }
}
HCL
t_run "run a long task" 0 "$CARAVAN" job run -detach "$T_TMP/long.nomad.hcl"
running() { api_check "$API/job/long/allocations" '.[0].ClientStatus == "running"'; }
wait_until 100 running
t_ok $? "the task runs"
# The task's shell, not the copies of it that fork to run sleep (they
# carry the same command line until they exec).
task_pids() {
    local all p
    all=$(pgrep -f caravan-reattach-marker)
    for p in $all; do
        grep -qx "$(ps -o ppid= -p "$p" | tr -d ' ')" <<<"$all" || echo "$p"
    done
}
PID1=$(task_pids | head -1)
t_ok $([ -n "$PID1" ]; echo $?) "the task process exists ($PID1)"

kill -9 $AGENT
wait $AGENT 2>/dev/null
t_ok $(kill -0 "$PID1" 2>/dev/null; echo $?) "the task survives kill -9 of the agent"

start_agent
wait_until 100 node_ready
t_ok $? "the agent restarts on its data dir"
t_contains "the alloc is recovered" "$(cat "$T_TMP/agent.log")" "reattached to pid"
t_eq "one process, not two" "$(task_pids | wc -l)" "1"
t_eq "the same process" "$(task_pids | head -1)" "$PID1"
t_eq "the alloc still runs" "$(curl -sf "$API/job/long/allocations" | jq -r '.[0].ClientStatus')" "running"

ALLOC=$(curl -sf "$API/job/long/allocations" | jq -r '.[0].ID')
touch "$DATA/alloc/$ALLOC/t/local/done"
ended() { api_check "$API/job/long/allocations" '.[0].TaskStates.t.State == "dead"'; }
wait_until 150 ended
t_ok $? "the exit of the reattached task is observed"
# The task's supervisor, not the agent, was its parent: the real exit code
# (0) reaches the restarted agent, so the batch alloc completes.
t_eq "the reattached task's exit code is known" \
    "$(curl -sf "$API/job/long/allocations" | jq -r '[.[0].TaskStates.t.Events[] | select(.Type == "Terminated")][0].DisplayMessage')" \
    "Exit Code: 0"
t_eq "a batch task exiting 0 after reattach is complete" \
    "$(curl -sf "$API/job/long/allocations" | jq -r '.[0].ClientStatus')" "complete"
# The log collector (logmon) is not the agent's child either: what the task
# printed while and after the agent was down is in its logs.
t_eq "output before and after the agent's death is logged" \
    "$("$CARAVAN" alloc logs "$ALLOC" t | tr '\n' ' ')" "before after "

kill -INT $AGENT
wait $AGENT
t_ok $? "the agent exits cleanly"
done_testing
