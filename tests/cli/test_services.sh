#!/usr/bin/env bash
# Native service discovery on a dev agent: a task's `provider = "nomad"`
# service is registered while it runs, visible through /v1/services,
# /v1/service/:name (tag filter, choose) and `caravan service`, answers
# another task's nomadService template, and goes away with the job.
. "$(dirname "$0")/lib.sh"

start_dev_agent

t_run "no services yet" 0 "$CARAVAN" service list
t_eq "says so" "$T_OUT" "No service registrations found"
t_eq "the API answers []" "$(curl -sf "$API/services")" "[]"

cat >"$T_TMP/web.nomad.hcl" <<'HCL'
job "web" {
  group "g" {
    count = 2
    network {
      port "http" {}
    }
    service {
      name     = "web-svc"
      port     = "http"
      tags     = ["v1", "public"]
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
t_run "run a job with a service" 0 "$CARAVAN" job run -detach "$T_TMP/web.nomad.hcl"
two_registered() { api_check "$API/service/web-svc" 'length == 2'; }
wait_until 150 two_registered
t_ok $? "both allocs' services are registered"
t_eq "an unknown name is []" "$(curl -sf "$API/service/nope")" "[]"
ALLOCS=$(curl -sf "$API/job/web/allocations" | jq -r '[.[].ID] | sort | join(" ")')
t_eq "registered for the job's allocs" "$(curl -sf "$API/service/web-svc" | jq -r '[.[].AllocID] | sort | join(" ")')" "$ALLOCS"
A1=$(curl -sf "$API/job/web/allocations" | jq -r '.[0].ID')
t_ok $(api_check "$API/service/web-svc" 'all(.Port >= 20000 and .Port <= 32000)'; echo $?) "with the allocs' dynamic ports"
t_eq "Nomad's ID shape" "$(curl -sf "$API/service/web-svc" | jq -r --arg a "$A1" '.[] | select(.AllocID == $a) | .ID')" "_nomad-task-$A1-g-web-svc-http"
t_eq "tag filter keeps" "$(curl -sf "$API/service/web-svc?tag=v1" | jq length)" "2"
t_eq "tag filter drops" "$(curl -sf "$API/service/web-svc?tag=nope" | jq length)" "0"
t_eq "choose 1" "$(curl -sf "$API/service/web-svc?choose=1|mykey" | jq length)" "1"
t_eq "choose is stable" "$(curl -sf "$API/service/web-svc?choose=1|mykey" | jq -r '.[0].ID')" "$(curl -sf "$API/service/web-svc?choose=1|mykey" | jq -r '.[0].ID')"
code=$(curl -s -o "$T_TMP/body" -w '%{http_code}' "$API/service/web-svc?choose=x")
t_eq "a malformed choose is 400" "$code" "400"
t_contains "with Nomad's words" "$(cat "$T_TMP/body")" "failed to choose services"
t_run "service list" 0 "$CARAVAN" service list
t_contains "the name and its tags, sorted" "$T_OUT" "web-svc       [public,v1]"
t_run "service info" 0 "$CARAVAN" service info web-svc
t_contains "the table" "$T_OUT" "Job ID  Address"
t_contains "an address" "$T_OUT" "127.0.0.1:"
t_run "service info -verbose" 0 "$CARAVAN" service info -verbose web-svc
t_contains "the full ID" "$T_OUT" "_nomad-task-"

cat >"$T_TMP/use.nomad.hcl" <<'HCL'
job "use" {
  type = "batch"
  group "g" {
    task "t" {
      driver = "raw_exec"
      template {
        data        = "{{ range nomadService \"web-svc\" }}WEB={{ .Address }}:{{ .Port }}\n{{ end }}"
        destination = "local/env.txt"
        env         = true
      }
      config {
        command = "/bin/sh"
        args    = ["-c", "echo got $WEB"]
      }
    }
  }
}
HCL
t_run "a job whose template looks it up" 0 "$CARAVAN" job run -detach "$T_TMP/use.nomad.hcl"
used() { api_check "$API/job/use/allocations" '.[0].ClientStatus == "complete"'; }
wait_until 150 used
t_ok $? "it runs"
t_run "its logs" 0 "$CARAVAN" alloc logs "$(curl -sf "$API/job/use/allocations" | jq -r '.[0].ID')"
t_contains "nomadService answered from the catalogue" "$T_OUT" "got 127.0.0.1:"

t_run "stop the service's job" 0 "$CARAVAN" job stop -detach web
gone() { [ "$(curl -sf "$API/service/web-svc")" = "[]" ]; }
wait_until 150 gone
t_ok $? "its registrations go away"
t_eq "and the list is empty" "$(curl -sf "$API/services")" "[]"
done_testing
