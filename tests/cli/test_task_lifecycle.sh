#!/usr/bin/env bash
# How the tasks of one group run together, on a real dev agent: lifecycle
# hooks (prestart, prestart sidecar, poststart, poststop) in Nomad's order,
# a leader whose end kills the others, a failed prestart task that keeps
# the main task from starting, kill_signal then SIGKILL after kill_timeout,
# and raw_exec's `user`.
. "$(dirname "$0")/lib.sh"
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
events_of() { # job task -> the task's event types, space separated
    curl -sf "$API/job/$1/allocations" |
        jq -r ".[0].TaskStates.\"$2\".Events | map(.Type) | join(\" \")"
}
state_of() { # job task
    curl -sf "$API/job/$1/allocations" | jq -r ".[0].TaskStates.\"$2\".State"
}

start_agent
t_ok $? "dev agent with a client is up"
export CARAVAN_ADDR=http://127.0.0.1:$PORT

# Each task checks, with files in the shared alloc dir, that what must have
# happened before it did, and appends its name to "order".
cat >"$T_TMP/life.nomad.hcl" <<'HCL'
job "life" {
  type = "batch"
  group "g" {
    restart {
      attempts = 0
      mode     = "fail"
    }
    task "init" {
      driver = "raw_exec"
      lifecycle {
        hook = "prestart"
      }
      config {
        command = "/bin/sh"
        args    = ["-c", "sleep 0.3; echo init >>$NOMAD_ALLOC_DIR/order"]
      }
    }
    task "side" {
      driver = "raw_exec"
      lifecycle {
        hook    = "prestart"
        sidecar = true
      }
      config {
        command = "/bin/sh"
        args    = ["-c", "while :; do sleep 0.1; done"]
      }
    }
    task "main" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "grep -qx init $NOMAD_ALLOC_DIR/order || exit 3; echo main >>$NOMAD_ALLOC_DIR/order; while [ ! -e $NOMAD_ALLOC_DIR/post ]; do sleep 0.1; done; echo main-done >>$NOMAD_ALLOC_DIR/order"]
      }
    }
    task "post" {
      driver = "raw_exec"
      lifecycle {
        hook = "poststart"
      }
      config {
        command = "/bin/sh"
        args    = ["-c", "grep -qx main $NOMAD_ALLOC_DIR/order || exit 4; echo post >>$NOMAD_ALLOC_DIR/order; touch $NOMAD_ALLOC_DIR/post"]
      }
    }
    task "stop" {
      driver = "raw_exec"
      lifecycle {
        hook = "poststop"
      }
      config {
        command = "/bin/sh"
        args    = ["-c", "grep -qx main-done $NOMAD_ALLOC_DIR/order || exit 5; echo poststop >>$NOMAD_ALLOC_DIR/order"]
      }
    }
  }
}
HCL
t_run "run a group with every lifecycle hook" 0 "$CARAVAN" job run -detach "$T_TMP/life.nomad.hcl"
wait_until 300 status_is life complete
t_ok $? "the alloc completes"
A=$(alloc_of life)
t_eq "the hooks ran in order" "$(tr '\n' ' ' <"$T_TMP/data/alloc/$A/alloc/order")" \
    "init main post main-done poststop "
for task in init main post stop; do
    t_eq "$task ended well" "$(curl -sf "$API/job/life/allocations" |
        jq -r ".[0].TaskStates.$task | \"\(.State) \(.Failed)\"")" "dead false"
done
t_contains "the sidecar is stopped once the main task is dead" \
    "$(events_of life side)" "Started Main Tasks Dead Killing Terminated Killed"
t_eq "main started after init finished" "$(curl -sf "$API/job/life/allocations" |
    jq -r '.[0].TaskStates | (.init.FinishedAt <= .main.StartedAt and .main.StartedAt <= .post.StartedAt and .main.FinishedAt <= .stop.StartedAt)')" "true"

# Stopping a service alloc kills its main task, then runs its poststop task.
cat >"$T_TMP/svc.nomad.hcl" <<'HCL'
job "svc" {
  group "g" {
    task "web" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo up >$NOMAD_ALLOC_DIR/web; while :; do sleep 0.1; done"]
      }
    }
    task "cleanup" {
      driver = "raw_exec"
      lifecycle {
        hook = "poststop"
      }
      config {
        command = "/bin/sh"
        args    = ["-c", "echo cleaned >$NOMAD_ALLOC_DIR/cleanup"]
      }
    }
  }
}
HCL
t_run "run a service with a poststop task" 0 "$CARAVAN" job run -detach "$T_TMP/svc.nomad.hcl"
wait_until 300 status_is svc running
A=$(alloc_of svc)
web_up() { [ -e "$T_TMP/data/alloc/$A/alloc/web" ]; }
wait_until 300 web_up
t_eq "the poststop task waits while the main task runs" "$(state_of svc cleanup)" "pending"
t_run "stop the service" 0 "$CARAVAN" job stop -detach svc
wait_until 300 status_is svc complete
t_ok $? "the stopped alloc completes"
t_eq "its poststop task ran after the main task was killed" \
    "$(cat "$T_TMP/data/alloc/$A/alloc/cleanup" 2>/dev/null)" "cleaned"
t_contains "the main task was killed" "$(events_of svc web)" "Killing Terminated Killed"

# A leader's end kills the other tasks.
cat >"$T_TMP/leader.nomad.hcl" <<'HCL'
job "leader" {
  type = "batch"
  group "g" {
    task "lead" {
      driver = "raw_exec"
      leader = true
      config {
        command = "/bin/sh"
        args    = ["-c", "while [ ! -e $NOMAD_ALLOC_DIR/go ]; do sleep 0.1; done"]
      }
    }
    task "follower" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "touch $NOMAD_ALLOC_DIR/go; while :; do sleep 0.1; done"]
      }
    }
  }
}
HCL
t_run "run a group with a leader" 0 "$CARAVAN" job run -detach "$T_TMP/leader.nomad.hcl"
wait_until 300 status_is leader complete
t_ok $? "the alloc completes once the leader exits"
t_contains "the follower is killed" "$(events_of leader follower)" \
    "Started Leader Task Dead Killing Terminated Killed"
t_eq "the follower is not failed" "$(curl -sf "$API/job/leader/allocations" |
    jq -r '.[0].TaskStates.follower.Failed')" "false"

# A failing prestart task: the main task never starts, the alloc fails.
cat >"$T_TMP/badinit.nomad.hcl" <<'HCL'
job "badinit" {
  type = "batch"
  group "g" {
    restart {
      attempts = 0
      mode     = "fail"
    }
    reschedule {
      attempts  = 0
      unlimited = false
    }
    task "init" {
      driver = "raw_exec"
      lifecycle {
        hook = "prestart"
      }
      config {
        command = "/bin/sh"
        args    = ["-c", "exit 1"]
      }
    }
    task "main" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "touch $NOMAD_ALLOC_DIR/main-ran"]
      }
    }
  }
}
HCL
t_run "run a group whose prestart task fails" 0 "$CARAVAN" job run -detach "$T_TMP/badinit.nomad.hcl"
wait_until 300 status_is badinit failed
t_ok $? "the alloc fails"
t_eq "the main task never started" "$(events_of badinit main)" \
    "Received Task Setup Sibling Task Failed"
A=$(alloc_of badinit)
t_ok $([ ! -e "$T_TMP/data/alloc/$A/alloc/main-ran" ]; echo $?) "the main task did not run"

# kill_signal reaches the task; one that ignores it dies after kill_timeout.
cat >"$T_TMP/kill.nomad.hcl" <<'HCL'
job "kill" {
  group "g" {
    task "polite" {
      driver       = "raw_exec"
      kill_signal  = "SIGUSR1"
      kill_timeout = "30s"
      config {
        command = "/bin/sh"
        args    = ["-c", "trap 'echo got USR1; exit 0' USR1; echo ready; while :; do sleep 0.1; done"]
      }
    }
    task "stubborn" {
      driver       = "raw_exec"
      kill_timeout = "1s"
      config {
        command = "/bin/sh"
        args    = ["-c", "trap '' INT TERM; echo ready; while :; do sleep 0.1; done"]
      }
    }
  }
}
HCL
t_run "run tasks with kill_signal and kill_timeout" 0 "$CARAVAN" job run -detach "$T_TMP/kill.nomad.hcl"
wait_until 300 status_is kill running
A=$(alloc_of kill)
both_ready() {
    grep -q ready "$T_TMP/data/alloc/$A/alloc/logs/polite.stdout.0" &&
        grep -q ready "$T_TMP/data/alloc/$A/alloc/logs/stubborn.stdout.0"
}
wait_until 300 both_ready
t_ok $? "both tasks run"
STUBBORN=$(pgrep -f "trap '' INT TERM" | head -1)
t_run "stop the job" 0 "$CARAVAN" job stop -detach kill
wait_until 300 status_is kill complete
t_ok $? "both tasks are stopped"
t_eq "the polite task got kill_signal" "$("$CARAVAN" alloc logs "$A" polite | tr '\n' ' ')" \
    "ready got USR1 "
t_contains "the stubborn task was told of its kill_timeout" \
    "$(curl -sf "$API/job/kill/allocations" | jq -r '.[0].TaskStates.stubborn.Events[].DisplayMessage')" \
    "Sent interrupt. Waiting 1s before force killing"
t_contains "the stubborn task's end is recorded: SIGKILL" \
    "$(curl -sf "$API/job/kill/allocations" | jq -r '.[0].TaskStates.stubborn.Events[].DisplayMessage')" \
    "Exit Code: 137, Signal: 9"
# A zombie (reaped late by whoever adopts it) counts as dead.
stubborn_dead() {
    local st
    st=$(ps -o stat= -p "$STUBBORN" 2>/dev/null) || return 0
    [ "${st#Z}" != "$st" ]
}
[ -n "$STUBBORN" ] && wait_until 100 stubborn_dead
t_ok $? "the stubborn task, deaf to SIGINT, was SIGKILLed"

# raw_exec `user`: the agent runs as root, the task as nobody; an unknown
# user is a clear task failure.
if [ "$(id -u)" = 0 ]; then
    cat >"$T_TMP/user.nomad.hcl" <<'HCL'
job "user" {
  type = "batch"
  group "g" {
    task "t" {
      driver = "raw_exec"
      user   = "nobody"
      config {
        command = "/bin/sh"
        args    = ["-c", "id -un"]
      }
    }
  }
}
HCL
    t_run "run a task as nobody" 0 "$CARAVAN" job run -detach "$T_TMP/user.nomad.hcl"
    wait_until 300 status_is user complete
    t_eq "the task ran as nobody" "$("$CARAVAN" alloc logs "$(alloc_of user)" t)" "nobody"
fi
sed -e 's/"user"/"nouser"/' -e 's/"nobody"/"caravan-no-such-user"/' \
    "$T_TMP/user.nomad.hcl" >"$T_TMP/nouser.nomad.hcl" 2>/dev/null
t_run "run a task as a user that does not exist" 0 "$CARAVAN" job run -detach "$T_TMP/nouser.nomad.hcl"
wait_until 300 status_is nouser failed
t_ok $? "the alloc fails"
t_contains "the failure names the user" \
    "$(curl -sf "$API/job/nouser/allocations" | jq -r '.[0].TaskStates.t.Events[].DisplayMessage')" \
    'unknown user "caravan-no-such-user"'
done_testing
