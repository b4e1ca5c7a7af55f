#!/usr/bin/env bash
# Task output through the logmon helper on a real dev agent: files rotate
# at max_file_size, the oldest beyond max_files are deleted, and `alloc
# logs` (and the logs endpoint) read the files left in order, also while
# following through a rotation. Bad parameters get a 400 with a message.
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

# 2.6 MB of numbered lines into 1 MB files, all ten kept.
cat >"$T_TMP/rot.nomad.hcl" <<'HCL'
job "rot" {
  type = "batch"
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "seq 1 400000; echo oops >&2"]
      }
      logs {
        max_files     = 10
        max_file_size = 1
      }
    }
  }
}
HCL
t_run "run a task printing 2.6 MB" 0 "$CARAVAN" job run -detach "$T_TMP/rot.nomad.hcl"
wait_until 300 status_is rot complete
t_ok $? "the task completes"
A=$(alloc_of rot)
DIR=$T_TMP/data/alloc/$A/alloc/logs
t_eq "stdout rotated into three files" "$(cd "$DIR" && ls t.stdout.* | sort | tr '\n' ' ')" \
    "t.stdout.0 t.stdout.1 t.stdout.2 "
t_eq "a full file holds max_file_size bytes" "$(stat -c %s "$DIR/t.stdout.0")" "1048576"
seq 1 400000 >"$T_TMP/want"
"$CARAVAN" alloc logs "$A" t >"$T_TMP/got"
t_ok $(cmp -s "$T_TMP/want" "$T_TMP/got"; echo $?) "alloc logs returns every file in order"
t_eq "-tail -n 3 reads the end of the last file" \
    "$("$CARAVAN" alloc logs -tail -n 3 "$A" t | tr '\n' ' ')" "399998 399999 400000 "
t_eq "-stderr reads the other stream" "$("$CARAVAN" alloc logs -stderr "$A" t)" "oops"
curl -sf "$API/client/fs/logs/$A?task=t&type=stdout&origin=end&offset=7&plain=true" >"$T_TMP/end"
t_eq "origin=end&offset=7 from the endpoint" "$(cat "$T_TMP/end" | tr '\n' ' ')" "400000 "

# max_files = 2: the oldest file is deleted; the logs start at what is left.
sed -e 's/"rot"/"rot2"/' -e 's/max_files     = 10/max_files     = 2/' \
    "$T_TMP/rot.nomad.hcl" >"$T_TMP/rot2.nomad.hcl"
t_run "run it with max_files = 2" 0 "$CARAVAN" job run -detach "$T_TMP/rot2.nomad.hcl"
wait_until 300 status_is rot2 complete
A2=$(alloc_of rot2)
DIR2=$T_TMP/data/alloc/$A2/alloc/logs
t_eq "only the newest two files are kept" "$(cd "$DIR2" && ls t.stdout.* | sort | tr '\n' ' ')" \
    "t.stdout.1 t.stdout.2 "
"$CARAVAN" alloc logs "$A2" t >"$T_TMP/got2"
tail -c "$(($(stat -c %s "$DIR2/t.stdout.1") + $(stat -c %s "$DIR2/t.stdout.2")))" \
    "$T_TMP/want" >"$T_TMP/want2"
t_ok $(cmp -s "$T_TMP/want2" "$T_TMP/got2"; echo $?) "alloc logs starts at the oldest file left"

# Following: half a file, then (on a signal from the test) a rotation.
cat >"$T_TMP/follow.nomad.hcl" <<'HCL'
job "follow" {
  type = "batch"
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "seq 1 100000; while [ ! -e $NOMAD_TASK_DIR/go ]; do sleep 0.1; done; seq 100001 300000"]
      }
      logs {
        max_files     = 10
        max_file_size = 1
      }
    }
  }
}
HCL
t_run "run a task that pauses" 0 "$CARAVAN" job run -detach "$T_TMP/follow.nomad.hcl"
wait_until 300 status_is follow running
A3=$(alloc_of follow)
first_half() { [ "$(wc -l <"$T_TMP/followed")" -ge 100000 ]; }
"$CARAVAN" alloc logs -f "$A3" t >"$T_TMP/followed" &
FOLLOW=$!
wait_until 300 first_half
t_ok $? "-f shows the output so far"
touch "$T_TMP/data/alloc/$A3/t/local/go"
wait_until 300 status_is follow complete
t_ok $? "the task completes"
following_ended() { ! kill -0 "$FOLLOW" 2>/dev/null; }
wait_until 300 following_ended
t_ok $? "-f ends once the task is dead"
wait "$FOLLOW" 2>/dev/null
seq 1 300000 >"$T_TMP/want3"
t_ok $(cmp -s "$T_TMP/want3" "$T_TMP/followed"; echo $?) "-f followed through the rotation, in order"

# disabled = true: no collector, no files.
cat >"$T_TMP/quiet.nomad.hcl" <<'HCL'
job "quiet" {
  type = "batch"
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo unseen; echo unseen >&2"]
      }
      logs {
        disabled = true
      }
    }
  }
}
HCL
t_run "run a task with logs disabled" 0 "$CARAVAN" job run -detach "$T_TMP/quiet.nomad.hcl"
wait_until 300 status_is quiet complete
t_ok $? "the task completes"
t_eq "no log files are written" "$(ls "$T_TMP/data/alloc/$(alloc_of quiet)/alloc/logs" | wc -l)" "0"

# Bad parameters: 400 with a message, as Nomad.
code_and_body() { curl -s -w ' %{http_code}' "$API/client/fs/logs/$A?$1"; }
t_eq "no task" "$(code_and_body 'type=stdout')" "must provide task name 400"
t_eq "bad type" "$(code_and_body 'task=t&type=x')" "must provide log type (stdout/stderr) 400"
t_eq "bad origin" "$(code_and_body 'task=t&type=stdout&origin=middle')" "origin must be start or end 400"
t_eq "bad offset" "$(code_and_body 'task=t&type=stdout&offset=-3')" "failed to parse offset: -3 400"
t_eq "bad follow" "$(code_and_body 'task=t&type=stdout&follow=maybe')" \
    'failed to parse follow field to boolean: strconv.ParseBool: parsing "maybe": invalid syntax 400'
t_eq "bad plain" "$(code_and_body 'task=t&type=stdout&plain=2')" \
    'failed to parse plain field to boolean: strconv.ParseBool: parsing "2": invalid syntax 400'
done_testing
