#!/usr/bin/env bash
# Allocation resource usage on a real dev agent: the stats endpoint
# measures a running task's memory and cpu from /proc, `alloc status`
# shows it in Task Resources as Nomad does, and bad parameters get 400.
. "$(dirname "$0")/lib.sh"
AGENT=
cleanup() {
    [ -n "$AGENT" ] && kill -INT "$AGENT" 2>/dev/null && wait "$AGENT" 2>/dev/null
    rm -rf "$T_TMP"
}
trap cleanup EXIT

node_ready() { api_check "$API/nodes" '.[0].Status == "ready"'; }
start_agent() {
    local attempt
    for attempt in 1 2 3 4 5; do
        PORT=$(free_port)
        API=http://127.0.0.1:$PORT/v1
        "$CARAVAN" agent -dev -data-dir "$T_TMP/data" -http-port "$PORT" >"$T_TMP/agent.log" 2>&1 &
        AGENT=$!
        wait_until 150 node_ready && return 0
        kill -INT "$AGENT" 2>/dev/null
        wait "$AGENT" 2>/dev/null
        AGENT=
    done
    return 1
}
alloc_of() { curl -sf "$API/job/$1/allocations" | jq -r '.[0].ID'; }
status_is() { api_check "$API/job/$1/allocations" ".[0].ClientStatus == \"$2\""; }

start_agent
t_ok $? "dev agent with a client is up"
export CARAVAN_ADDR=http://127.0.0.1:$PORT

# 64 MiB written (so resident), then a busy loop.
cat >"$T_TMP/mem.nomad.hcl" <<'HCL'
job "mem" {
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "exec /usr/bin/python3 -c 'import time\nx = bytearray(64 << 20)\nprint(\"ready\", flush=True)\nwhile True: sum(range(200000)); time.sleep(0.01)'"]
      }
    }
  }
}
HCL
t_run "run a task holding 64 MiB" 0 "$CARAVAN" job run -detach "$T_TMP/mem.nomad.hcl"
wait_until 300 status_is mem running
A=$(alloc_of mem)
ready() { grep -q ready "$T_TMP/data/alloc/$A/alloc/logs/t.stdout.0"; }
wait_until 300 ready
t_ok $? "the task is ready"
STATS=$(curl -sf "$API/client/allocation/$A/stats")
t_ok $(jq -e '.Tasks.t.ResourceUsage.MemoryStats.RSS >= 67108864' <<<"$STATS" >/dev/null; echo $?) \
    "the task's RSS is measured ($(jq '.Tasks.t.ResourceUsage.MemoryStats.RSS' <<<"$STATS"))"
t_eq "memory Measured says what was" \
    "$(jq -c '.Tasks.t.ResourceUsage.MemoryStats.Measured' <<<"$STATS")" '["RSS","Swap"]'
t_eq "the alloc total is the sum of its tasks" \
    "$(jq '.ResourceUsage.MemoryStats.RSS == .Tasks.t.ResourceUsage.MemoryStats.RSS' <<<"$STATS")" "true"
PID=$(jq -r '.Tasks.t.Pids | keys[0]' <<<"$STATS")
t_eq "the task's process is listed (not its supervisor)" \
    "$(tr '\0\n' '  ' </proc/"$PID"/cmdline | cut -c1-15)" "/usr/bin/python"
t_ok $(jq -e '.Timestamp > 0 and .Tasks.t.Timestamp == .Timestamp' <<<"$STATS" >/dev/null; echo $?) \
    "timestamps are set"
busy() {
    curl -sf "$API/client/allocation/$A/stats" |
        jq -e '.Tasks.t.ResourceUsage.CpuStats.Percent > 0 and .Tasks.t.ResourceUsage.CpuStats.TotalTicks > 0'
}
wait_until 100 busy
t_ok $? "cpu use is measured between two samples"

t_run "alloc status" 0 "$CARAVAN" alloc status "$A"
t_ok $(grep -A2 '^Task Resources:' <<<"$T_OUT" | grep -Eq '^[0-9]+/100 MHz +[0-9.]+ MiB/300 MiB +300 MiB'; echo $?) \
    "alloc status shows cpu and memory usage in Task Resources"
t_ok $(grep -A2 '^Task Resources:' <<<"$T_OUT" | grep -Eq ' (6[4-9]|[7-9][0-9])(\.[0-9]+)? MiB/300 MiB'; echo $?) \
    "the memory usage shown is the task's RSS"

t_run "alloc status -stats" 0 "$CARAVAN" alloc status -stats "$A"
t_eq "-stats lists the measured memory figures" \
    "$(grep -A1 '^Memory Stats$' <<<"$T_OUT" | tail -1 | tr -s ' ')" "RSS Swap"
t_eq "-stats lists the measured cpu figures" \
    "$(grep -A1 '^CPU Stats$' <<<"$T_OUT" | tail -1 | tr -s ' ')" "Percent System Mode User Mode"
t_ok $(grep -A2 '^CPU Stats$' <<<"$T_OUT" | tail -1 | grep -Eq '^[0-9]+\.[0-9]{2}% +[0-9]+\.[0-9]{2}% +[0-9]+\.[0-9]{2}%$'; echo $?) \
    "cpu figures are percentages with two decimals"

t_run "stop the job" 0 "$CARAVAN" job stop -detach mem
wait_until 300 status_is mem complete
t_run "alloc status of a stopped alloc" 0 "$CARAVAN" alloc status "$A"
t_ok $(grep -A2 '^Task Resources:' <<<"$T_OUT" | grep -Eq '^100 MHz +300 MiB +300 MiB'; echo $?) \
    "without a running task, only the limits are shown"
t_eq "a stopped alloc measures no task" "$(curl -sf "$API/client/allocation/$A/stats" | jq -c '.Tasks')" "{}"

code_and_body() { curl -s -w ' %{http_code}' "$API/client/allocation/$1/stats"; }
t_eq "a malformed alloc id is a 400" "$(code_and_body not-an-id)" \
    'invalid allocation ID "not-an-id": must be a UUID 400'
t_eq "an unknown alloc is a 404" "$(code_and_body 01234567-89ab-cdef-0123-456789abcdef)" \
    'Unknown allocation "01234567-89ab-cdef-0123-456789abcdef" 404'
done_testing
