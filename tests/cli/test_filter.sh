#!/usr/bin/env bash
# ?filter=, ?per_page= and ?next_token= on a real dev agent's list
# endpoints: three jobs (none placeable, so no task runs), filtered by
# type, priority and datacenters, paged two at a time, and the 400s of a
# bad expression and a bad page size.
. "$(dirname "$0")/lib.sh"

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

PORT=$(free_port)
"$CARAVAN" agent -dev -http-port "$PORT" >"$T_TMP/agent.log" 2>&1 &
AGENT=$!
trap 'kill -INT $AGENT 2>/dev/null; wait $AGENT 2>/dev/null; rm -rf "$T_TMP"' EXIT
export CARAVAN_ADDR=http://127.0.0.1:$PORT
API=$CARAVAN_ADDR/v1

wait_until() { # tries cmd...
    local tries=$1
    shift
    while [ "$tries" -gt 0 ]; do
        "$@" >/dev/null 2>&1 && return 0
        tries=$((tries - 1))
        sleep 0.1
    done
    return 1
}

node_ready() { api_check "$API/nodes" '.[0].Status == "ready"'; }
wait_until 100 node_ready
t_ok $? "the dev agent registers its node"

# job NAME TYPE PRIORITY DATACENTERS TEAM
job() {
    cat >"$T_TMP/$1.nomad.hcl" <<HCL
job "$1" {
  type        = "$2"
  priority    = $3
  datacenters = $4
  meta {
    team = "$5"
  }
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/true"
      }
    }
  }
}
HCL
    t_run "register $1" 0 "$CARAVAN" job run -detach "$T_TMP/$1.nomad.hcl"
}
job alpha service 50 '["nowhere-a"]' x
job beta batch 70 '["nowhere-a", "nowhere-b"]' y
job gamma batch 30 '["nowhere-b"]' x

# get PATH-AND-QUERY: body in $BODY, status in $CODE, headers in $T_TMP/h.
get() {
    CODE=$(curl -s -o "$T_TMP/body" -D "$T_TMP/h" -w '%{http_code}' "$API$1")
    BODY=$(cat "$T_TMP/body")
}
ids() { jq -r '[.[].ID] | join(",")' <<<"$BODY"; }
next_token() { tr -d '\r' <"$T_TMP/h" | sed -n 's/^[Xx]-[Nn]omad-[Nn]ext[Tt]oken: //p'; }

get "/jobs"
t_eq "all three jobs listed" "$(ids)" "alpha,beta,gamma"

get "/jobs?filter=$(jq -rn --arg f 'Type == "batch"' '$f|@uri')"
t_eq "filter Type == \"batch\": 200" "$CODE" 200
t_eq "filter Type == \"batch\"" "$(ids)" "beta,gamma"

get "/jobs?filter=$(jq -rn --arg f 'Meta.team == "x"' '$f|@uri')"
t_eq "filter on the jobs' Meta" "$(ids)" "alpha,gamma"
get "/jobs?filter=$(jq -rn --arg f 'Meta.team == "x" and Type == "batch"' '$f|@uri')"
t_eq "filter on Meta and Type" "$(ids)" "gamma"

get "/jobs?filter=$(jq -rn --arg f 'Priority > 40 and Type != "batch"' '$f|@uri')"
t_eq "filter with and" "$(ids)" "alpha"

get "/jobs?filter=$(jq -rn --arg f 'Priority >= 70 or ID == "gamma"' '$f|@uri')"
t_eq "filter with or" "$(ids)" "beta,gamma"

get "/jobs?filter=$(jq -rn --arg f '"nowhere-b" in Datacenters and not (Name matches "^g")' '$f|@uri')"
t_eq "filter with in, not and matches" "$(ids)" "beta"

get "/jobs?filter=$(jq -rn --arg f 'Type == "system"' '$f|@uri')"
t_eq "a filter matching nothing: 200" "$CODE" 200
t_eq "a filter matching nothing: []" "$BODY" "[]"

get "/jobs?filter=$(jq -rn --arg f 'Type = "batch"' '$f|@uri')"
t_eq "bad filter: 400" "$CODE" 400
t_contains "bad filter names the position" "$BODY" \
    "failed to read filter expression: 1:6 (5): no match found, expected:"

# Paging: two then one, the token naming the first job of page two.
get "/jobs?per_page=2"
t_eq "page 1: 200" "$CODE" 200
t_eq "page 1 holds two jobs" "$(ids)" "alpha,beta"
TOKEN=$(next_token)
t_eq "page 1 carries X-Nomad-NextToken" "$TOKEN" "default.gamma"
get "/jobs?per_page=2&next_token=$(jq -rn --arg t "$TOKEN" '$t|@uri')"
t_eq "page 2 holds the last job" "$(ids)" "gamma"
t_eq "page 2 has no X-Nomad-NextToken" "$(next_token)" ""

get "/jobs?per_page=1&filter=$(jq -rn --arg f 'Type == "batch"' '$f|@uri')"
t_eq "filter before paging: page 1" "$(ids)" "beta"
t_eq "filter before paging: token" "$(next_token)" "default.gamma"

# The other list routes take the same parameters.
get "/evaluations?per_page=1"
t_eq "evaluations page of one" "$(jq length <<<"$BODY")" 1
EVTOKEN=$(next_token)
t_ok $([ -n "$EVTOKEN" ]; echo $?) "evaluations carry a next token"
get "/evaluations?next_token=$EVTOKEN"
t_eq "evaluations resume at the token" "$(jq -r '.[0].ID' <<<"$BODY")" "$EVTOKEN"
get "/evaluations?filter=$(jq -rn --arg f 'JobID == "beta"' '$f|@uri')"
t_eq "evaluations filtered by JobID" "$(jq -r '[.[].JobID] | unique | join(",")' <<<"$BODY")" "beta"
get "/job/beta/evaluations?filter=$(jq -rn --arg f 'JobID != "beta"' '$f|@uri')"
t_eq "job evaluations filtered" "$BODY" "[]"
get "/nodes?filter=$(jq -rn --arg f 'Status == "ready"' '$f|@uri')"
t_eq "nodes filtered" "$(jq length <<<"$BODY")" 1
get "/job/alpha/versions?filter=$(jq -rn --arg f 'Version == 0' '$f|@uri')"
t_eq "job versions filtered" "$(jq '.Versions | length' <<<"$BODY")" 1

# The CLI's -filter and -per-page reach the same code.
t_run "eval list -filter" 0 "$CARAVAN" eval list -json -filter 'JobID == "gamma"'
t_eq "eval list -filter: only gamma's" "$(jq -r '[.[].JobID] | unique | join(",")' <<<"$T_OUT")" "gamma"
t_run "eval list -per-page 1" 0 "$CARAVAN" eval list -json -per-page 1
t_eq "eval list -per-page 1: one eval" "$(jq length <<<"$T_OUT")" 1
t_run "eval list with a bad -filter" 1 "$CARAVAN" eval list -filter 'JobID =='
t_contains "eval list with a bad -filter: message" "$T_ERR" "failed to read filter expression: 1:9 (8)"

for pp in 0 -1 abc 2x; do
    get "/jobs?per_page=$pp"
    t_eq "per_page=$pp: 400" "$CODE" 400
    t_contains "per_page=$pp: message" "$BODY" "Invalid per_page value"
done
# A blocking query with a bad filter is refused at once, not after the wait.
CODE=$(curl -s -o "$T_TMP/body" --max-time 30 -w '%{http_code}' \
    "$API/jobs?index=1000000&wait=5m&filter=$(jq -rn --arg f 'Type ==' '$f|@uri')")
t_eq "bad filter on a blocking query: 400" "$CODE" 400
get "/allocations?filter=$(jq -rn --arg f '(Status == "x"' '$f|@uri')"
t_eq "bad filter on allocations: 400" "$CODE" 400
t_contains "bad filter on allocations: message" "$BODY" "1:15 (14): no match found, expected: \")\""

done_testing
