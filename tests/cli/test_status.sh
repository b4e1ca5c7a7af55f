#!/usr/bin/env bash
# The status commands end to end: job status/allocs/stop, status, eval
# status/list, node status and alloc status against a real dev agent, then
# node and alloc status against a canned agent (fake_agent.py) whose node
# and allocations have fixed contents.
#
# Jobs meant to fail placement ask for a datacenter no node is in, so the
# eval fails the same way whether or not the dev agent runs a client.
. "$(dirname "$0")/lib.sh"

AGENT=
FAKE=
cleanup() {
    [ -n "$AGENT" ] && kill -INT "$AGENT" 2>/dev/null && wait "$AGENT" 2>/dev/null
    [ -n "$FAKE" ] && kill "$FAKE" 2>/dev/null && wait "$FAKE" 2>/dev/null
    rm -rf "$T_TMP"
}
trap cleanup EXIT



leader_up() { curl -sf "http://127.0.0.1:$PORT/v1/status/leader"; }

# Starts the dev agent; another port if the one picked was taken meanwhile.
start_agent() {
    local attempt
    for attempt in 1 2 3 4 5; do
        PORT=$(free_port)
        "$CARAVAN" agent -dev -http-port "$PORT" >"$T_TMP/agent.log" 2>&1 &
        AGENT=$!
        wait_until 100 leader_up && return 0
        kill -INT "$AGENT" 2>/dev/null
        wait "$AGENT" 2>/dev/null
        AGENT=
    done
    return 1
}

# with_input TEXT cmd...: runs cmd with TEXT on stdin.
with_input() {
    local text=$1
    shift
    printf '%s' "$text" | "$@"
}

# line_matches NAME TEXT REGEX: some line of TEXT matches the ERE.
line_matches() {
    if printf '%s\n' "$2" | grep -Eq -- "$3"; then
        t_ok 0 "$1"
    else
        echo "# $1: no line matches: $3"
        printf '%s\n' "$2" | head -40 | sed 's/^/# in: /'
        t_ok 1 "$1"
    fi
}

# line_no TEXT FIXED: the number of the first line containing FIXED.
line_no() { printf '%s\n' "$1" | grep -nF -- "$2" | head -1 | cut -d: -f1; }

if ! start_agent; then
    echo "Bail out! the dev agent did not answer"
    sed 's/^/# agent: /' "$T_TMP/agent.log" | tail -20
    exit 1
fi
export CARAVAN_ADDR=http://127.0.0.1:$PORT
HAS_CLIENT=0
grep -q 'Client: true' "$T_TMP/agent.log" && HAS_CLIENT=1

# ------------------------------------------------------------ empty agent
t_run "job status, no jobs" 0 "$CARAVAN" job status
t_eq "no jobs text" "$T_OUT" "No running jobs"
t_run "status, no jobs" 0 "$CARAVAN" status
t_eq "status alias lists jobs" "$T_OUT" "No running jobs"
t_run "job status -json, no jobs" 0 "$CARAVAN" job status -json
t_eq "-json with no jobs still says so" "$T_OUT" "No running jobs"
t_run "eval list, none" 0 "$CARAVAN" eval list
t_eq "no evals text" "$T_OUT" "No evals found"
t_run "eval list -json, none" 0 "$CARAVAN" eval list -json
t_eq "eval list -json is an empty array" "$(jq length <<<"$T_OUT")" "0"
t_run "alloc status -json, none" 0 "$CARAVAN" alloc status -json
t_eq "alloc list -json is empty" "$(jq length <<<"$T_OUT")" "0"

# ------------------------------------------------------------ jobs
job() { # name datacenter
    cat <<HCL
job "$1" {
  datacenters = ["$2"]
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["300"]
      }
    }
  }
}
HCL
}
job web-a nowhere >"$T_TMP/web-a.hcl"
job web-b nowhere >"$T_TMP/web-b.hcl"
job api-x nowhere >"$T_TMP/api-x.hcl"

t_run "run web-a (placement fails)" 2 "$CARAVAN" job run "$T_TMP/web-a.hcl"
EVAL=$(sed -n 's/.*Monitoring evaluation "\([0-9a-f]*\)".*/\1/p' <<<"$T_OUT")
t_eq "monitor named the eval" "${#EVAL}" "8"
t_run "run web-b" 2 "$CARAVAN" job run "$T_TMP/web-b.hcl"
t_run "run api-x" 2 "$CARAVAN" job run "$T_TMP/api-x.hcl"

t_run "job status lists jobs" 0 "$CARAVAN" job status
line_matches "list header" "$T_OUT" '^ID +Type +Priority +Status +Submit Date$'
line_matches "list row web-a" "$T_OUT" '^web-a +service +50 +[a-z]+ +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$'
t_eq "list is sorted by ID" "$(awk 'NR>1 {print $1}' <<<"$T_OUT" | tr '\n' ' ')" "api-x web-a web-b "

t_run "job status web-a" 0 "$CARAVAN" job status web-a
S=$T_OUT
t_contains "ID row" "$S" "ID            = web-a"
t_contains "Name row" "$S" "Name          = web-a"
t_contains "Type row" "$S" "Type          = service"
t_contains "Priority row" "$S" "Priority      = 50"
t_contains "Datacenters row" "$S" "Datacenters   = nowhere"
t_contains "Namespace row" "$S" "Namespace     = default"
t_contains "Node Pool row" "$S" "Node Pool     = default"
t_contains "Periodic row" "$S" "Periodic      = false"
t_contains "Parameterized row" "$S" "Parameterized = false"
line_matches "Submit Date row" "$S" '^Submit Date   = [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$'
t_contains "Summary table" "$S" "$(printf 'Summary\nTask Group  Queued  Starting  Running  Failed  Complete  Lost  Unknown\ng ')"
t_contains "Placement Failure section" "$S" "$(printf '\nPlacement Failure\nTask Group "g":\n  * No nodes were eligible for evaluation\n')"
t_contains "Allocations section" "$S" "$(printf '\nAllocations\nNo allocations placed')"
case $S in *Evaluations*) t_ok 1 "no evals without -evals" ;; *) t_ok 0 "no evals without -evals" ;; esac
t_ok $([ "$(line_no "$S" "Placement Failure")" -lt "$(line_no "$S" "Allocations")" ]; echo $?) \
    "placement failure comes before allocations"

t_run "job status -evals" 0 "$CARAVAN" job status -evals web-a
line_matches "evals header" "$T_OUT" '^ID +Priority +Triggered By +Status +Placement Failures$'
line_matches "register eval row" "$T_OUT" "^$EVAL +50 +job-register +complete +true\$"
line_matches "blocked eval row" "$T_OUT" '^[0-9a-f]{8} +50 +queued-allocs +blocked +N/A - In Progress$'

t_run "job status -verbose" 0 "$CARAVAN" job status -verbose web-a
line_matches "verbose shows full eval IDs" "$T_OUT" "^$EVAL-[0-9a-f-]{27} +50 +job-register"
t_contains "verbose shows evals" "$T_OUT" "Evaluations"

t_run "job status -short" 0 "$CARAVAN" job status -short web-a
t_contains "short has the KV block" "$T_OUT" "ID            = web-a"
case $T_OUT in *Summary* | *Allocations*) t_ok 1 "short stops after the KV block" ;;
*) t_ok 0 "short stops after the KV block" ;; esac

t_run "job status by unique prefix" 0 "$CARAVAN" job status api
t_contains "prefix resolved" "$T_OUT" "ID            = api-x"

t_run "ambiguous prefix" 1 "$CARAVAN" job status web
t_contains "ambiguous message" "$T_ERR" 'Prefix "web" matched multiple jobs'
line_matches "ambiguous table header" "$T_ERR" '^ID +Type +Priority +Status +Submit Date$'
t_contains "ambiguous lists web-a" "$T_ERR" "web-a"
t_contains "ambiguous lists web-b" "$T_ERR" "web-b"
t_eq "nothing on stdout" "$T_OUT" ""

t_run "no such job" 1 "$CARAVAN" job status nope
t_eq "not found message" "$T_ERR" 'No job(s) with prefix or ID "nope" found'
t_run "two arguments" 1 "$CARAVAN" job status a b
t_contains "two arguments message" "$T_ERR" "This command takes either no arguments or one: <job>"
t_contains "help hint" "$T_ERR" "For additional help try 'caravan job status -help'"
t_run "unknown flag" 1 "$CARAVAN" job status -frob
t_contains "unknown flag named" "$T_ERR" "flag provided but not defined: -frob"
t_run "job status -help" 0 "$CARAVAN" job status -help
t_contains "job status usage" "$T_OUT" "Usage: caravan job status [options] <job>"

t_run "job status -json web-a" 0 "$CARAVAN" job status -json web-a
J=$T_OUT
t_eq "-json is an array of one" "$(jq length <<<"$J")" "1"
t_eq "-json summary job" "$(jq -r '.[0].Summary.JobID' <<<"$J")" "web-a"
t_eq "-json summary group" "$(jq -r '.[0].Summary.Summary | keys[0]' <<<"$J")" "g"
t_eq "-json allocations" "$(jq -c '.[0].Allocations' <<<"$J")" "[]"
t_eq "-json evaluations" "$(jq -r '[.[0].Evaluations[] | select(.TriggeredBy == "job-register")] | length' <<<"$J")" "1"
t_eq "-json has LatestDeployment" "$(jq -r '.[0] | has("LatestDeployment")' <<<"$J")" "true"
t_eq "-json key order" "$(jq -r '.[0] | keys_unsorted | join(",")' <<<"$J")" "Summary,Allocations,LatestDeployment,Evaluations"
t_run "job status -json (list)" 0 "$CARAVAN" job status -json
t_eq "-json lists every job" "$(jq -r '[.[].Summary.JobID] | join(" ")' <<<"$T_OUT")" "api-x web-a web-b"

t_run "job allocs" 0 "$CARAVAN" job allocs web-a
t_eq "job allocs, none placed" "$T_OUT" "No allocations placed"
t_run "job allocs -json" 0 "$CARAVAN" job allocs -json web-a
t_eq "job allocs -json is []" "$(jq -c . <<<"$T_OUT")" "[]"
t_run "job allocs without job" 1 "$CARAVAN" job allocs
t_contains "job allocs usage" "$T_ERR" "This command takes one argument: <job>"
t_run "job allocs no such job" 1 "$CARAVAN" job allocs nope
t_eq "job allocs not found" "$T_ERR" 'No job(s) with prefix or ID "nope" found'

# ------------------------------------------------------------ evals
t_run "eval status" 0 "$CARAVAN" eval status "$EVAL"
E=$T_OUT
t_contains "eval ID row" "$E" "ID                 = $EVAL"
t_contains "eval status row" "$E" "Status             = complete"
t_contains "eval description falls back to status" "$E" "Status Description = complete"
t_contains "eval type row" "$E" "Type               = service"
t_contains "eval trigger row" "$E" "TriggeredBy        = job-register"
t_contains "eval job row" "$E" "Job ID             = web-a"
t_contains "eval failures row" "$E" "Placement Failures = true"
line_matches "eval create time relative" "$E" '^Create Time        = [0-9][0-9a-z]* (ago|from now)$'
line_matches "eval blocked eval row" "$E" '^Blocked Eval       = [0-9a-f]{8}$'
t_contains "failed placements" "$E" "$(printf '\nFailed Placements\nTask Group "g" (failed to place 1 allocation):\n  * No nodes were eligible for evaluation\n')"
line_matches "waiting for capacity" "$E" '^Evaluation "[0-9a-f]{8}" waiting for additional capacity to place remainder$'

t_run "eval status odd-length prefix" 0 "$CARAVAN" eval status "${EVAL:0:7}"
t_contains "odd prefix rounded down" "$T_OUT" "ID                 = $EVAL"
t_run "eval status -verbose" 0 "$CARAVAN" eval status -verbose "$EVAL"
line_matches "verbose full eval ID" "$T_OUT" "^ID                 = $EVAL-[0-9a-f-]{27}\$"
line_matches "verbose absolute time" "$T_OUT" '^Create Time        = [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$'
t_run "eval status -json" 0 "$CARAVAN" eval status -json "$EVAL"
t_eq "eval -json ID" "$(jq -r .ID <<<"$T_OUT" | cut -c1-8)" "$EVAL"
t_eq "eval -json nodes evaluated" "$(jq -r .FailedTGAllocs.g.NodesEvaluated <<<"$T_OUT")" "0"
BLOCKED=$(jq -r .BlockedEval <<<"$T_OUT")
t_run "blocked eval status" 0 "$CARAVAN" eval status "$BLOCKED"
t_contains "blocked eval in progress" "$T_OUT" "Placement Failures = N/A - In Progress"
t_contains "blocked eval status" "$T_OUT" "Status             = blocked"

t_run "eval status one char" 1 "$CARAVAN" eval status a
t_eq "one char message" "$T_ERR" "Identifier must contain at least two characters."
t_run "eval status unknown" 1 "$CARAVAN" eval status 0000
t_eq "eval not found message" "$T_ERR" 'No evaluation(s) with prefix or id "0000" found'
t_run "eval status no args" 1 "$CARAVAN" eval status
t_contains "eval usage" "$T_ERR" "This command takes one argument"

t_run "eval list" 0 "$CARAVAN" eval list
line_matches "eval list header" "$T_OUT" '^ID +Priority +Triggered By +Job ID +Namespace +Node ID +Status +Placement Failures$'
line_matches "eval list row" "$T_OUT" "^$EVAL +50 +job-register +web-a +default +<none> +complete +true\$"
t_run "eval list -job" 0 "$CARAVAN" eval list -json -job web-a
t_eq "eval list -job filters" "$(jq -r '[.[].JobID] | unique | join(",")' <<<"$T_OUT")" "web-a"
t_run "eval list takes no args" 1 "$CARAVAN" eval list x
t_contains "eval list usage" "$T_ERR" "This command takes no arguments"

# ------------------------------------------------------------ status alias
t_run "status <job>" 0 "$CARAVAN" status web-a
t_contains "status dispatches to job status" "$T_OUT" "ID            = web-a"
t_run "status <eval>" 0 "$CARAVAN" status "$EVAL"
t_contains "status dispatches to eval status" "$T_OUT" "TriggeredBy        = job-register"
t_run "status unknown" 1 "$CARAVAN" status zzzz
t_eq "status unresolved" "$T_ERR" 'Unable to resolve ID: "zzzz"'
t_run "status ambiguous" 1 "$CARAVAN" status web
t_contains "status multiple matches" "$T_ERR" 'Multiple matches found for id "web"'
t_contains "status lists job matches" "$T_ERR" "$(printf 'Jobs:\nweb-a, web-b')"

# ------------------------------------------------------------ job stop
t_run "stop: prefix, answer n" 0 with_input $'n\n' "$CARAVAN" job stop api
t_eq "stop asks and cancels" "$T_OUT" 'Are you sure you want to stop job "api-x"? [y/N] Cancelling job stop'
t_run "stop: answer yes" 0 with_input $'yes\n' "$CARAVAN" job stop api
t_contains "stop wants an exact y" "$T_OUT" "For confirmation, an exact ‘y’ is required."
t_run "stop: answer x" 1 with_input $'x\n' "$CARAVAN" job stop api
t_contains "stop no confirmation" "$T_OUT" "No confirmation detected. For confirmation, an exact 'y' is required."
t_run "stop: no answer" 1 "$CARAVAN" job stop api </dev/null
t_contains "stop at EOF" "$T_ERR" "Failed to parse answer: EOF"
t_run "api-x still running" 0 "$CARAVAN" job status -short api-x
case $T_OUT in *"(stopped)"*) t_ok 1 "cancelled stop left the job" ;; *) t_ok 0 "cancelled stop left the job" ;; esac

t_run "stop: answer y, monitored" 0 with_input $'y\n' "$CARAVAN" job stop api
t_contains "stop monitors the eval" "$T_OUT" "Monitoring evaluation"
t_contains "stop eval triggered by job" "$T_OUT" 'Evaluation triggered by job "api-x"'
t_contains "stop eval completes" "$T_OUT" 'finished with status "complete"'
t_run "stopped job status" 0 "$CARAVAN" job status -short api-x
line_matches "status shows (stopped)" "$T_OUT" '^Status        = [a-z]+ \(stopped\)$'
t_run "stopped job in the list" 0 "$CARAVAN" job status
line_matches "list shows (stopped)" "$T_OUT" '^api-x +service +50 +[a-z]+ \(stopped\) +'

t_run "stop -detach exact ID" 0 "$CARAVAN" job stop -detach web-a
line_matches "detach prints the eval ID" "$T_OUT" '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
t_eq "detach prints only the eval ID" "$(wc -l <<<"$T_OUT")" "1"

t_run "stop alias -purge" 0 "$CARAVAN" stop -purge -detach web-b
line_matches "stop alias prints the eval ID" "$T_OUT" '^[0-9a-f-]{36}$'
t_run "purged job is gone" 1 "$CARAVAN" job status web-b
t_eq "purged job not found" "$T_ERR" 'No job(s) with prefix or ID "web-b" found'
t_run "stop -yes skips the prompt" 0 "$CARAVAN" job stop -yes -purge -detach web </dev/null
line_matches "-yes: only the eval ID" "$T_OUT" '^[0-9a-f-]{36}$'
t_run "web-a purged" 1 "$CARAVAN" job status web-a

t_run "stop unknown job" 1 "$CARAVAN" job stop nope
t_eq "stop not found" "$T_ERR" 'No job(s) with prefix or ID "nope" found'
t_run "stop without job" 1 "$CARAVAN" job stop
t_contains "stop usage" "$T_ERR" "This command takes at least one argument: <job>"
t_run "stop -help" 0 "$CARAVAN" stop -help
t_contains "stop help names the alias" "$T_OUT" "Alias: caravan stop"

# ------------------------------------------------------------ nodes, allocs
t_run "node status one char" 1 "$CARAVAN" node status a
t_eq "node one char" "$T_ERR" "Identifier must contain at least two characters."
t_run "node status unknown" 1 "$CARAVAN" node status 0000
t_eq "node not found" "$T_ERR" 'No node(s) with prefix "0000" found'
t_run "node -quiet -verbose" 1 "$CARAVAN" node status -quiet -verbose
t_eq "node -quiet conflict" "$T_ERR" "-quiet cannot be used with -verbose or -json"
t_run "alloc status unknown" 1 "$CARAVAN" alloc status 0000
t_eq "alloc not found" "$T_ERR" 'No allocation(s) with prefix or id "0000" found'
t_run "alloc status odd prefix" 1 "$CARAVAN" alloc status 00000
t_eq "alloc odd prefix rounded down" "$T_ERR" 'No allocation(s) with prefix or id "0000" found'
t_run "alloc status one char" 1 "$CARAVAN" alloc status a
t_eq "alloc one char" "$T_ERR" "Identifier must contain at least two characters."
t_run "alloc status no args" 1 "$CARAVAN" alloc status
t_contains "alloc usage" "$T_ERR" "This command takes one of the following argument conditions:"

if [ "$HAS_CLIENT" = 0 ]; then
    t_run "node status, no client" 0 "$CARAVAN" node status
    t_eq "no nodes text" "$T_OUT" "No nodes registered"
    t_run "node status -json, no client" 0 "$CARAVAN" node status -json
    t_eq "node -json is []" "$(jq -c . <<<"$T_OUT")" "[]"
else
    node_ready() { "$CARAVAN" node status -json | jq -e '.[0].Status == "ready"'; }
    wait_until 100 node_ready
    t_ok $? "the dev client registers its node"
    t_run "node status" 0 "$CARAVAN" node status
    line_matches "node list header" "$T_OUT" '^ID +Node Pool +DC +Name +Class +Drain +Eligibility +Status$'
    line_matches "node list row" "$T_OUT" '^[0-9a-f]{8} +default +dc1 +[^ ]+ +<none> +false +eligible +ready$'
    NODE=$("$CARAVAN" node status -quiet | head -1)
    t_run "node status <id>" 0 "$CARAVAN" node status "${NODE:0:8}"
    t_contains "node ID row" "$T_OUT" "ID              = $NODE"
    line_matches "node driver status" "$T_OUT" '^Driver Status   = .*raw_exec'
    t_contains "node allocated resources" "$T_OUT" "Allocated Resources"

    job sleepy dc1 >"$T_TMP/sleepy.hcl"
    t_run "run a placeable job" 0 "$CARAVAN" job run "$T_TMP/sleepy.hcl"
    t_run "job allocs lists it" 0 "$CARAVAN" job allocs sleepy
    line_matches "job allocs row" "$T_OUT" '^[0-9a-f]{8} +[0-9a-f]{8} +g +[0-9]+ +run +(pending|running) +[0-9a-z]+ ago +[0-9a-z]+ ago$'
    ALLOC=$("$CARAVAN" job allocs -json sleepy | jq -r '.[0].ID')
    has_tasks() { "$CARAVAN" alloc status -json "$ALLOC" | jq -e '(.TaskStates // {}) | length > 0'; }
    wait_until 100 has_tasks
    t_ok $? "the client reports task states"
    t_run "alloc status real alloc" 0 "$CARAVAN" alloc status "${ALLOC:0:8}"
    t_contains "alloc full ID row" "$T_OUT" "ID                  = $ALLOC"
    t_contains "alloc job row" "$T_OUT" "Job ID              = sleepy"
    t_contains "alloc task heading" "$T_OUT" 'Task "t" is "'
    t_contains "alloc recent events" "$T_OUT" "Recent Events:"
    t_run "stop the placeable job" 0 "$CARAVAN" job stop -purge sleepy
fi

# ------------------------------------------------------------ canned agent
rm -f "$T_TMP/fake.port"
python3 "$TOP_SRCDIR/tests/cli/fake_agent.py" "$T_TMP/fake.port" &
FAKE=$!
wait_until 100 test -s "$T_TMP/fake.port"
t_ok $? "the canned agent is up"
export CARAVAN_ADDR=http://127.0.0.1:$(cat "$T_TMP/fake.port")

t_run "fake: node status" 0 "$CARAVAN" node status
t_eq "fake: node list" "$T_OUT" "$(printf '%s\n' \
    'ID        Node Pool  DC   Name   Class   Drain  Eligibility  Status' \
    'f1e2d3c4  default    dc1  node1  <none>  false  eligible     ready')"
t_run "fake: node status -verbose -allocs" 0 "$CARAVAN" node status -verbose -allocs
line_matches "fake: verbose list columns" "$T_OUT" '^ID +Node Pool +DC +Name +Class +Address +Version +Drain +Eligibility +Status +Running Allocs$'
line_matches "fake: running allocs count" "$T_OUT" '^f1e2d3c4-0000-4000-8000-00000000aaaa +default +dc1 +node1 +<none> +10.0.0.5 +0.1.0 +false +eligible +ready +1$'
t_run "fake: node status -quiet" 0 "$CARAVAN" node status -quiet
t_eq "fake: quiet prints IDs" "$T_OUT" "f1e2d3c4-0000-4000-8000-00000000aaaa"

t_run "fake: node status <id>" 0 "$CARAVAN" node status f1e2
N=$T_OUT
t_contains "fake: node KV" "$N" "$(printf '%s\n' \
    'ID              = f1e2d3c4-0000-4000-8000-00000000aaaa' \
    'Name            = node1' \
    'Node Pool       = default' \
    'Class           = <none>' \
    'DC              = dc1' \
    'Drain           = false' \
    'Eligibility     = eligible' \
    'Status          = ready' \
    'CSI Controllers = <none>' \
    'CSI Drivers     = <none>' \
    'Host Volumes    = <none>' \
    'Host Networks   = <none>' \
    'CSI Volumes     = <none>' \
    'Driver Status   = docker (unhealthy),raw_exec')"
t_contains "fake: node events newest first" "$N" "$(printf '%s\n' \
    'Node Events' \
    'Time                  Subsystem  Message' \
    '2024-05-01T10:01:00Z  Cluster    Node heartbeat missed' \
    '2024-05-01T10:00:00Z  Cluster    Node registered')"
t_contains "fake: allocated resources" "$N" "$(printf '%s\n' \
    'Allocated Resources' \
    'CPU           Memory          Disk            Alloc Count' \
    '150/4000 MHz  96 MiB/8.0 GiB  300 MiB/50 GiB  1')"
line_matches "fake: node allocations header" "$N" '^ID +Node ID +Task Group +Version +Desired +Status +Created +Modified$'
line_matches "fake: node allocation row" "$N" '^3f2a5c1e +f1e2d3c4 +g +3 +run +running +[0-9a-z]+ ago +[0-9a-z]+ ago$'
t_run "fake: node status -short" 0 "$CARAVAN" node status -short f1e2
t_contains "fake: short drivers from attributes" "$T_OUT" "Drivers         = raw_exec"
t_run "fake: node status -verbose" 0 "$CARAVAN" node status -verbose f1e2
t_contains "fake: verbose drivers table" "$T_OUT" "docker    true      false    Docker is not running  2024-05-01T10:00:00Z"
t_contains "fake: verbose attributes" "$T_OUT" "$(printf 'Attributes\ndriver.raw_exec = 1\nkernel.name     = linux')"
t_contains "fake: verbose meta" "$T_OUT" "$(printf 'Meta\nrack = r1')"
t_run "fake: node status -json" 0 "$CARAVAN" node status -json f1e2
t_eq "fake: node -json name" "$(jq -r .Name <<<"$T_OUT")" "node1"

t_run "fake: alloc status" 0 "$CARAVAN" alloc status 3f2a
A=$T_OUT
t_contains "fake: alloc KV" "$A" "$(printf '%s\n' \
    'ID                  = 3f2a5c1e-0b1d-4c2f-9a7e-1d2c3b4a5f60' \
    'Eval ID             = 5e3b6a0c' \
    'Name                = web.g[0]' \
    'Node ID             = f1e2d3c4' \
    'Node Name           = node1' \
    'Job ID              = web' \
    'Job Version         = 3' \
    'Client Status       = running' \
    'Client Description  = Tasks are running' \
    'Desired Status      = run' \
    'Desired Description = <none>')"
t_contains "fake: alloc addresses" "$A" "$(printf '%s\n' \
    'Allocation Addresses (mode = "host"):' \
    'Label  Dynamic  Address' \
    '*http  yes      10.0.0.5:23456 -> 8080')"
t_contains "fake: task resources" "$A" "$(printf '%s\n' \
    'Task "t" is "running"' \
    'Task Resources:' \
    'CPU      Memory        Disk     Addresses' \
    '100 MHz  64 MiB        300 MiB  ' \
    '         Max: 128 MiB           ')"
t_contains "fake: task events" "$A" "$(printf '%s\n' \
    'Task Events:' \
    'Started At     = 2024-05-01T10:00:02Z' \
    'Finished At    = N/A' \
    'Total Restarts = 0' \
    'Last Restart   = N/A' \
    '' \
    'Recent Events:' \
    'Time                  Type        Description' \
    '2024-05-01T10:00:02Z  Started     Task started by client' \
    '2024-05-01T10:00:01Z  Task Setup  Building Task Directory' \
    '2024-05-01T10:00:01Z  Received    Task received by client')"
t_contains "fake: prestart task first" "$A" 'Task "init" (prestart) is "dead"'
t_ok $([ "$(line_no "$A" 'Task "init"')" -lt "$(line_no "$A" 'Task "t"')" ]; echo $?) \
    "fake: lifecycle tasks before main tasks"
t_contains "fake: message built from the event" "$A" "2024-05-01T10:00:02Z  Terminated  Exit Code: 0"

t_run "fake: alloc prefix matches two" 0 "$CARAVAN" alloc status 3f
t_contains "fake: multiple allocations" "$T_OUT" "Prefix matched multiple allocations"
line_matches "fake: multiple table row" "$T_OUT" '^3f9b0000 +f1e2d3c4 +g +3 +stop +complete +'
t_run "fake: alloc status -short" 0 "$CARAVAN" alloc status -short 3f2a
t_contains "fake: short tasks table" "$T_OUT" "$(printf '%s\n' \
    'Tasks' \
    'Name  State    Last Event  Time                  Lifecycle' \
    'init  dead     Terminated  2024-05-01T10:00:02Z  prestart' \
    't     running  Started     2024-05-01T10:00:02Z  main')"
t_run "fake: alloc status -verbose" 0 "$CARAVAN" alloc status -verbose 3f2a
t_contains "fake: verbose metrics rows" "$T_OUT" "$(printf '%s\n' \
    'Evaluated Nodes     = 1' \
    'Filtered Nodes      = 0' \
    'Exhausted Nodes     = 0' \
    'Allocation Time     = 1.5ms' \
    'Failures            = 0')"
t_contains "fake: verbose full eval ID" "$T_OUT" "Eval ID             = 5e3b6a0c-2f1d-4b7e-9c8a-1d2e3f4a5b6c"
t_contains "fake: placement metrics" "$T_OUT" "Placement Metrics"
t_run "fake: alloc status -json" 0 "$CARAVAN" alloc status -json 3f2a
t_eq "fake: alloc -json ID" "$(jq -r .ID <<<"$T_OUT")" "3f2a5c1e-0b1d-4c2f-9a7e-1d2c3b4a5f60"

# ------------------------------------------------------------ help
t_run "eval parent" 1 "$CARAVAN" eval
t_contains "eval lists status" "$T_ERR" "status"
t_contains "eval lists list" "$T_ERR" "list"
t_run "job parent lists new subcommands" 1 "$CARAVAN" job
t_contains "job lists stop" "$T_ERR" "stop"
t_contains "job lists allocs" "$T_ERR" "allocs"
t_run "help node status" 0 "$CARAVAN" help node status
t_contains "node status usage" "$T_OUT" "Usage: caravan node status [options] <node>"
t_run "help alloc status" 0 "$CARAVAN" help alloc status
t_contains "alloc status usage" "$T_OUT" "Usage: caravan alloc status [options] <allocation>"

done_testing
