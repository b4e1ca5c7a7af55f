#!/usr/bin/env bash
# Parameterized jobs on a dev agent: `job dispatch` with meta and a
# payload (file and stdin), Nomad's refusals for meta and payload rules,
# idempotency tokens, and what the task sees (NOMAD_META_*, local/<file>).
. "$(dirname "$0")/lib.sh"

start_dev_agent

cat >"$T_TMP/enc.nomad.hcl" <<'HCL'
job "enc" {
  type = "batch"
  parameterized {
    meta_required = ["budget"]
    meta_optional = ["mode"]
  }
  group "g" {
    task "t" {
      driver = "raw_exec"
      dispatch_payload {
        file = "input.txt"
      }
      config {
        command = "/bin/sh"
        args    = ["-c", "echo budget=$NOMAD_META_budget BUDGET=$NOMAD_META_BUDGET mode=[$NOMAD_META_mode]; cat local/input.txt"]
      }
    }
  }
}
HCL
sed -e 's/job "enc"/job "bare"/' -e '/meta_optional/a\    payload = "forbidden"' \
    "$T_TMP/enc.nomad.hcl" >"$T_TMP/bare.nomad.hcl"
sed -e 's/job "enc"/job "must"/' -e '/meta_optional/a\    payload = "required"' \
    "$T_TMP/enc.nomad.hcl" >"$T_TMP/must.nomad.hcl"
t_run "register a parameterized job" 0 "$CARAVAN" job run "$T_TMP/enc.nomad.hcl"
t_eq "no eval, nothing runs" "$T_OUT" "Job registration successful"
t_run "register one forbidding payloads" 0 "$CARAVAN" job run -detach "$T_TMP/bare.nomad.hcl"
t_run "register one requiring payloads" 0 "$CARAVAN" job run -detach "$T_TMP/must.nomad.hcl"

printf 'hello payload\n' >"$T_TMP/in.txt"
t_run "dispatch with meta and a payload file" 0 "$CARAVAN" job dispatch -meta budget=200 enc "$T_TMP/in.txt"
t_contains "the child's id" "$T_OUT" "Dispatched Job ID = enc/dispatch-"
t_contains "its evaluation" "$T_OUT" "Evaluation ID     = "
t_contains "the monitor" "$T_OUT" "Evaluation triggered by job \"enc/dispatch-"
CHILD=$(printf '%s\n' "$T_OUT" | awk '/Dispatched Job ID/ {print $5}')
t_ok $([[ $CHILD =~ ^enc/dispatch-[0-9]+-[0-9a-f]{8}$ ]]; echo $?) "child id shape ($CHILD)"
CHILD_URL=${CHILD//\//%2F}
t_eq "the child is marked dispatched" "$(curl -sf "$API/job/$CHILD_URL" | jq -r '.Dispatched')" "true"
t_eq "and names its parent" "$(curl -sf "$API/job/$CHILD_URL" | jq -r '.ParentID')" "enc"
t_eq "the optional key exists, empty" "$(curl -sf "$API/job/$CHILD_URL" | jq -r '.Meta.mode')" ""
child_done() { api_check "$API/job/$CHILD_URL/allocations" '.[0].ClientStatus == "complete"'; }
wait_until 100 child_done
t_ok $? "the child runs to completion"
ALLOC=$(curl -sf "$API/job/$CHILD_URL/allocations" | jq -r '.[0].ID')
t_run "its logs" 0 "$CARAVAN" alloc logs "$ALLOC"
t_contains "meta in the environment, both cases" "$T_OUT" "budget=200 BUDGET=200 mode=[]"
t_contains "the payload in local/input.txt" "$T_OUT" "hello payload"

t_run "dispatch with the payload on stdin" 0 sh -c "echo from-stdin | '$CARAVAN' job dispatch -detach -meta budget=1 -meta mode=x enc -"
t_contains "detached: the key/value block only" "$T_OUT" "Dispatched Job ID = enc/dispatch-"
t_eq "no monitor when detached" "$(printf '%s\n' "$T_OUT" | grep -c 'Monitoring')" "0"

t_run "missing required meta" 1 "$CARAVAN" job dispatch enc
t_contains "names the key" "$T_ERR" "Failed to dispatch job: Unexpected response code: 500 (Dispatch did not provide required meta keys: [budget])"
t_run "unpermitted meta" 1 "$CARAVAN" job dispatch -meta budget=1 -meta foo=2 -meta bar=3 enc
t_contains "names the keys" "$T_ERR" "Dispatch request included unpermitted metadata keys: ["
t_run "meta without =" 1 "$CARAVAN" job dispatch -meta budget enc
t_contains "says so" "$T_ERR" "Error parsing meta value: budget"
t_run "a payload where forbidden" 1 "$CARAVAN" job dispatch -meta budget=1 bare "$T_TMP/in.txt"
t_contains "forbidden" "$T_ERR" "Payload provided but forbidden by parameterized job"
t_run "no payload where required" 1 "$CARAVAN" job dispatch -meta budget=1 must
t_contains "required" "$T_ERR" "Payload is not provided but required by parameterized job"
head -c 16385 /dev/zero | tr '\0' 'a' >"$T_TMP/big"
t_run "a payload over 16 KiB" 1 "$CARAVAN" job dispatch -meta budget=1 enc "$T_TMP/big"
t_contains "too big" "$T_ERR" "Payload exceeds maximum size; 16385 > 16384"
t_run "a job that is not parameterized" 1 "$CARAVAN" job dispatch "$CHILD"
t_contains "not parameterized" "$T_ERR" "No parameterized job(s) with prefix or ID \"$CHILD\" found"
BEFORE=$(curl -sf "$API/jobs?prefix=enc/dispatch-" | jq length)

t_run "dispatch with a token" 0 "$CARAVAN" job dispatch -detach -idempotency-token tok1 -meta budget=5 enc
FIRST=$(printf '%s\n' "$T_OUT" | awk '/Dispatched Job ID/ {print $5}')
t_run "the same token again" 0 "$CARAVAN" job dispatch -detach -idempotency-token tok1 -meta budget=5 enc
t_contains "the same child" "$T_OUT" "Dispatched Job ID = $FIRST"
t_eq "and no new evaluation" "$(printf '%s\n' "$T_OUT" | grep -c 'Evaluation ID')" "0"
t_eq "one child more, not two" "$(curl -sf "$API/jobs?prefix=enc/dispatch-" | jq length)" "$((BEFORE + 1))"
t_run "status of the child" 0 "$CARAVAN" job status "$FIRST"
t_contains "its token" "$T_OUT" "Idempotency Token"

code=$(curl -s -o "$T_TMP/body" -w '%{http_code}' -X POST -d '{"JobID":"other"}' "$API/job/enc/dispatch")
t_eq "HTTP: a JobID not the path's" "$code" "400"
t_contains "says so" "$(cat "$T_TMP/body")" "Job ID does not match"
code=$(curl -s -o "$T_TMP/body" -w '%{http_code}' -X POST -d '{"Meta": {"budget": ' "$API/job/enc/dispatch")
t_eq "HTTP: malformed JSON" "$code" "400"
code=$(curl -s -o "$T_TMP/body" -w '%{http_code}' -X POST -d '{"Meta":{"budget":"1"},"Payload":"!!!"}' "$API/job/enc/dispatch")
t_eq "HTTP: bad base64" "$code" "400"
code=$(curl -s -o "$T_TMP/body" -w '%{http_code}' -X POST -d '{}' "$API/job/nope/dispatch")
t_eq "HTTP: unknown job" "$code" "500"
t_contains "as Nomad says it" "$(cat "$T_TMP/body")" "parameterized job not found"
code=$(curl -s -o "$T_TMP/body" -w '%{http_code}' -X POST --data-binary @"$T_TMP/in.txt" "$API/job/enc/dispatch/payload?idempotency_token=raw")
t_eq "HTTP: the raw payload form refuses without meta" "$code" "500"
t_eq "refused requests dispatched nothing" "$(curl -sf "$API/jobs?prefix=enc/dispatch-" | jq length)" "$((BEFORE + 1))"

t_run "status of the parent" 0 "$CARAVAN" job status enc
t_contains "its children" "$T_OUT" "Dispatched Jobs"
t_contains "a child" "$T_OUT" "$CHILD"
done_testing
