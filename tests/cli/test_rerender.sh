#!/usr/bin/env bash
# Templates kept current on a dev agent: a consumer's files follow the
# service they read when it moves (watchers, no polling), change_mode
# restart / signal / noop act as Nomad's, `once` stays as first rendered,
# and template restarts do not use up the restart policy. Also blocking
# queries on /v1/service/:name, DELETE /v1/service/:name/:id and
# `caravan service delete`, and shutdown_delay.
. "$(dirname "$0")/lib.sh"

port=$(free_port)
"$CARAVAN" agent -dev -http-port "$port" -data-dir "$T_TMP/data" >"$T_TMP/agent.log" 2>&1 &
AGENT=$!
trap 'kill -INT $AGENT 2>/dev/null; wait $AGENT 2>/dev/null; rm -rf "$T_TMP"' EXIT
export CARAVAN_ADDR=http://127.0.0.1:$port
API=$CARAVAN_ADDR/v1
wait_until 100 api_check "$API/nodes" '.[0].Status == "ready"'
t_ok $? "dev agent is up"

P1=$(free_port)
P2=$(free_port)
while [ "$P2" = "$P1" ]; do P2=$(free_port); done

redis_job() { # port
    cat >"$T_TMP/redis.nomad.hcl" <<HCL
job "redis" {
  group "cache" {
    network {
      port "db" { static = $1 }
    }
    service {
      name     = "redis-svc"
      port     = "db"
      provider = "nomad"
    }
    task "redis" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["600"]
      }
    }
  }
}
HCL
}
redis_job "$P1"
t_run "run the service" 0 "$CARAVAN" job run -detach "$T_TMP/redis.nomad.hcl"
wait_until 150 api_check "$API/service/redis-svc" ".[0].Port == $P1"
t_ok $? "registered on its first port"

OUT=$T_TMP/task-out
mkdir -p "$OUT"
cat >"$T_TMP/web.nomad.hcl" <<HCL
job "web" {
  group "web" {
    restart {
      attempts = 0
      mode     = "fail"
    }
    task "web" {
      driver = "raw_exec"
      template {
        data        = <<EOH
{{ range nomadService "redis-svc" }}REDIS_HOST={{ .Address }}
REDIS_PORT={{ .Port }}
{{ end }}
EOH
        destination = "local/env.txt"
        env         = true
        splay       = "100ms"
      }
      template {
        data          = "{{ range nomadService \"redis-svc\" }}{{ .Port }}{{ end }}"
        destination   = "local/signal.txt"
        change_mode   = "signal"
        change_signal = "SIGUSR1"
      }
      template {
        data        = "{{ range nomadService \"redis-svc\" }}{{ .Port }}{{ end }}"
        destination = "local/noop.txt"
        change_mode = "noop"
      }
      template {
        data        = "{{ range nomadService \"redis-svc\" }}{{ .Port }}{{ end }}"
        destination = "local/once.txt"
        once        = true
        change_mode = "noop"
      }
      config {
        command = "/bin/sh"
        args    = ["-c", "trap 'cat local/signal.txt >>$OUT/signals; echo >>$OUT/signals' USR1; echo \$REDIS_PORT >>$OUT/starts; while :; do sleep 0.1; done"]
      }
    }
  }
}
HCL
t_run "run the consumer" 0 "$CARAVAN" job run -detach "$T_TMP/web.nomad.hcl"
started_with() { [ "$(tail -n1 "$OUT/starts" 2>/dev/null)" = "$1" ]; }
wait_until 150 started_with "$P1"
t_ok $? "the consumer starts with the service's port in its environment"
ALLOC=$(curl -sf "$API/job/web/allocations" | jq -r '.[0].ID')
LOCAL=$T_TMP/data/alloc/$ALLOC/web/local
t_eq "its env file" "$(cat "$LOCAL/env.txt")" "$(printf 'REDIS_HOST=127.0.0.1\nREDIS_PORT=%s' "$P1")"

# A blocking query parked at the current index returns once the service moves.
INDEX=$(curl -sf -o /dev/null -D - "$API/service/redis-svc" | tr -d '\r' | awk -F': ' 'tolower($1) == "x-nomad-index" {print $2}')
curl -sf -D "$T_TMP/block.h" "$API/service/redis-svc?index=$INDEX&wait=60s" >"$T_TMP/block.json" &
BLOCK=$!
t_ok $(kill -0 $BLOCK 2>/dev/null; echo $?) "a blocking query waits while nothing moves"

redis_job "$P2"
t_run "move the service to another port" 0 "$CARAVAN" job run -detach "$T_TMP/redis.nomad.hcl"
wait $BLOCK
t_ok $? "the blocking query returns"
NEWINDEX=$(tr -d '\r' <"$T_TMP/block.h" | awk -F': ' 'tolower($1) == "x-nomad-index" {print $2}')
t_ok $([ "$NEWINDEX" -gt "$INDEX" ]; echo $?) "with a newer index ($INDEX -> $NEWINDEX)"

file_is() { [ "$(cat "$1" 2>/dev/null)" = "$2" ]; }
wait_until 300 file_is "$LOCAL/noop.txt" "$P2"
t_ok $? "change_mode noop: the file is re-rendered"
wait_until 300 started_with "$P2"
t_ok $? "change_mode restart: the consumer restarted with the new port"
t_eq "its env file follows" "$(cat "$LOCAL/env.txt")" "$(printf 'REDIS_HOST=127.0.0.1\nREDIS_PORT=%s' "$P2")"
t_eq "once: the file stays as first rendered" "$(cat "$LOCAL/once.txt")" "$P1"
EVENTS=$(curl -sf "$API/allocation/$ALLOC" | jq -r '.TaskStates.web.Events[] | "\(.Type): \(.DisplayMessage)"')
t_contains "a restart event names the template" "$EVENTS" "Restart Signaled: Template with change_mode restart re-rendered"
t_eq "the restart policy (attempts = 0) was not used up" "$(curl -sf "$API/allocation/$ALLOC" | jq -r '.TaskStates.web.State')" "running"
t_ok $(api_check "$API/allocation/$ALLOC" '.TaskStates.web.Restarts >= 1'; echo $?) "restarts are counted in the task state"

# Signals: the signal template changed as well. The task restarted for
# the env file, so only check that a signal reached a run of the task
# when the restart did not swallow it; then change only the signal file.
cat >"$T_TMP/sig.nomad.hcl" <<HCL
job "sig" {
  group "g" {
    task "t" {
      driver = "raw_exec"
      template {
        data          = "{{ range nomadService \"redis-svc\" }}{{ .Port }}{{ end }}"
        destination   = "local/signal.txt"
        change_mode   = "signal"
        change_signal = "SIGUSR1"
        splay         = "0s"
      }
      config {
        command = "/bin/sh"
        args    = ["-c", "trap 'cat local/signal.txt >>$OUT/sig-only; echo >>$OUT/sig-only' USR1; echo up >>$OUT/sig-starts; while :; do sleep 0.1; done"]
      }
    }
  }
}
HCL
t_run "run a job with a signal template" 0 "$CARAVAN" job run -detach "$T_TMP/sig.nomad.hcl"
wait_until 150 file_is "$OUT/sig-starts" "up"
t_ok $? "it starts"
redis_job "$P1"
t_run "move the service back" 0 "$CARAVAN" job run -detach "$T_TMP/redis.nomad.hcl"
last_signal_is() { [ "$(grep -v '^$' "$OUT/sig-only" 2>/dev/null | tail -n1)" = "$1" ]; }
wait_until 300 last_signal_is "$P1"
t_ok $? "change_mode signal: the task got SIGUSR1 and read the new file"
t_eq "and was not restarted" "$(cat "$OUT/sig-starts")" "up"
SIGALLOC=$(curl -sf "$API/job/sig/allocations" | jq -r '.[0].ID')
t_contains "a signaling event" "$(curl -sf "$API/allocation/$SIGALLOC" | jq -r '.TaskStates.t.Events[] | "\(.Type): \(.DisplayMessage)"')" "Signaling: Task being sent signal SIGUSR1: Template re-rendered"

# DELETE /v1/service/:name/:id and caravan service delete.
ID=$(curl -sf "$API/service/redis-svc" | jq -r '.[0].ID')
code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$API/service/redis-svc/nope")
t_eq "deleting an unknown registration is 500, as Nomad" "$code" "500"
code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$API/service/redis-svc/$ID")
t_eq "DELETE answers 200" "$code" "200"
t_eq "the registration is gone" "$(curl -sf "$API/service/redis-svc" | jq length)" "0"
t_run "service delete of a gone registration" 1 "$CARAVAN" service delete redis-svc "$ID"
t_contains "says why" "$T_ERR" "service registration not found"
t_run "service delete without arguments" 1 "$CARAVAN" service delete
t_contains "says what it takes" "$T_ERR" "This command takes two arguments"

# shutdown_delay: the registration goes at once, the task a while later.
cat >"$T_TMP/slow.nomad.hcl" <<HCL
job "slow" {
  group "g" {
    shutdown_delay = "3s"
    network {
      port "http" {}
    }
    service {
      name     = "slow-svc"
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
t_run "run a job with a shutdown_delay" 0 "$CARAVAN" job run -detach "$T_TMP/slow.nomad.hcl"
wait_until 150 api_check "$API/service/slow-svc" 'length == 1'
t_ok $? "its service is registered"
SLOW=$(curl -sf "$API/job/slow/allocations" | jq -r '.[0].ID')
t_run "stop it" 0 "$CARAVAN" job stop -detach slow
wait_until 150 api_check "$API/service/slow-svc" 'length == 0'
t_ok $? "the service is deregistered first"
t_eq "while the task still runs" "$(curl -sf "$API/allocation/$SLOW" | jq -r '.TaskStates.t.State')" "running"
t_contains "waiting out the delay" "$(curl -sf "$API/allocation/$SLOW" | jq -r '.TaskStates.t.Events[].DisplayMessage')" "Waiting for shutdown_delay of 3s before killing the task."
wait_until 150 api_check "$API/allocation/$SLOW" '.TaskStates.t.State == "dead"'
t_ok $? "then the task is killed"

# After the agent is killed (-9) and started again on its data dir, the
# reattached consumer's templates are watched again.
BEFORE=$(cat "$LOCAL/noop.txt")
kill -9 $AGENT
wait $AGENT 2>/dev/null
"$CARAVAN" agent -dev -http-port "$port" -data-dir "$T_TMP/data" >>"$T_TMP/agent.log" 2>&1 &
AGENT=$!
wait_until 300 api_check "$API/allocation/$ALLOC" '.TaskStates.web.State == "running"'
t_ok $? "the agent is back with the consumer running"
wait_until 150 api_check "$API/service/redis-svc" 'length == 1'
t_ok $? "and the service registered"
t_eq "the consumer kept its files" "$(cat "$LOCAL/noop.txt")" "$BEFORE"
# The deletion above does not outlive the agent: the service is back, and
# once the restored templates settle, the file shows it again.
wait_until 300 file_is "$LOCAL/noop.txt" "$P1"
t_ok $? "the restored template follows the catalogue again"
redis_job "$P2"
t_run "move the service again" 0 "$CARAVAN" job run -detach "$T_TMP/redis.nomad.hcl"
wait_until 300 file_is "$LOCAL/noop.txt" "$P2"
t_ok $? "the reattached consumer's file follows"


# Shutting down with blocking queries parked on the catalogue.
IDX=$(curl -sf -o /dev/null -D - "$API/services" | tr -d '\r' | awk -F': ' 'tolower($1) == "x-nomad-index" {print $2}')
curl -s "$API/service/nope?index=$IDX&wait=60s" >/dev/null &
curl -s "$API/services?index=$IDX&wait=60s" >/dev/null &
# Parked: both connections are open and unanswered.
parked() { [ "$(ss -Htn state established "( dport = :$port )" | wc -l)" -ge 2 ]; }
wait_until 100 parked
t_ok $? "two blocking queries parked"
kill -INT $AGENT
wait $AGENT
t_ok $? "the agent exits cleanly with blocking queries parked"
done_testing
