#!/usr/bin/env bash
# The `template` blocks of a task on a dev agent: rendered before the task
# starts from data or source, `env` lookups of the task's environment,
# `env = true` files merged into it, perms, custom delimiters, and
# destinations that would leave the allocation refused with a task event.
. "$(dirname "$0")/lib.sh"

start_dev_agent

cat >"$T_TMP/tpl.nomad.hcl" <<'HCL'
job "tpl" {
  type = "batch"
  meta {
    budget = "200"
  }
  group "g" {
    task "t" {
      driver = "raw_exec"
      template {
        data        = <<EOH
{{ range nomadService "redis-svc" }}
REDIS_HOST={{ .Address }}
{{ end }}
PTC_BUDGET={{ env "NOMAD_META_budget" }}
export QUOTED="a b"
EOH
        destination = "local/env.txt"
        env         = true
      }
      template {
        data            = "job [[ env \"NOMAD_JOB_NAME\" ]] in [[ env \"NOMAD_ALLOC_ID\" | printf \"%.8s\" ]]\n"
        destination     = "local/conf/app.conf"
        left_delimiter  = "[["
        right_delimiter = "]]"
        perms           = "600"
      }
      config {
        command = "/bin/sh"
        args    = ["-c", "echo budget=$PTC_BUDGET quoted=[$QUOTED] host=[$REDIS_HOST]; cat local/conf/app.conf; stat -c %a local/conf/app.conf"]
      }
    }
  }
}
HCL
t_run "run a job with templates" 0 "$CARAVAN" job run -detach "$T_TMP/tpl.nomad.hcl"
done_ok() { api_check "$API/job/tpl/allocations" '.[0].ClientStatus == "complete"'; }
wait_until 100 done_ok
t_ok $? "the task runs to completion"
ALLOC=$(curl -sf "$API/job/tpl/allocations" | jq -r '.[0].ID')
t_run "its output" 0 "$CARAVAN" alloc logs "$ALLOC"
t_contains "env = true merged the file into the environment" "$T_OUT" "budget=200 quoted=[a b] host=[]"
t_contains "a second template with custom delimiters" "$T_OUT" "job tpl in ${ALLOC:0:8}"
t_contains "its perms" "$T_OUT" "600"

sed -e 's/job "tpl"/job "escape"/' -e 's|destination     = "local/conf/app.conf"|destination     = "../../../escaped.conf"|' \
    "$T_TMP/tpl.nomad.hcl" >"$T_TMP/escape.nomad.hcl"
t_run "run a job whose template leaves the allocation" 0 "$CARAVAN" job run -detach "$T_TMP/escape.nomad.hcl"
failed() { api_check "$API/job/escape/allocations" '.[0].TaskStates.t.Events | any(.Type == "Task Hook Failed")'; }
wait_until 150 failed
t_ok $? "the task fails with a hook event"
t_contains "naming the destination" "$(curl -sf "$API/job/escape/allocations" | jq -r '.[0].TaskStates.t.Events[] | select(.Type == "Task Hook Failed") | .DisplayMessage')" "../../../escaped.conf"
t_ok $([ ! -e "$T_TMP/escaped.conf" ]; echo $?) "nothing written outside"

sed -e 's/job "tpl"/job "broken"/' -e 's|PTC_BUDGET={{ env "NOMAD_META_budget" }}|PTC_BUDGET={{ env "NOMAD_META_budget" |' \
    "$T_TMP/tpl.nomad.hcl" >"$T_TMP/broken.nomad.hcl"
t_run "run a job with a broken template" 0 "$CARAVAN" job run -detach "$T_TMP/broken.nomad.hcl"
broken() { api_check "$API/job/broken/allocations" '.[0].TaskStates.t.Events | any(.Type == "Task Hook Failed")'; }
wait_until 150 broken
t_ok $? "the task fails with a hook event"
MSG=$(curl -sf "$API/job/broken/allocations" | jq -r '.[0].TaskStates.t.Events[] | select(.Type == "Task Hook Failed") | .DisplayMessage')
t_contains "naming the template and its position" "$MSG" "template: local/env.txt:"
t_contains "and what is wrong" "$MSG" "unclosed action"
done_testing
