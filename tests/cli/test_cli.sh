#!/usr/bin/env bash
# The CLI end to end: version, help, usage errors and exit codes,
# `job validate` and `job run -output` on the getting-started jobspecs.
. "$(dirname "$0")/lib.sh"
EX="$TOP_SRCDIR/examples/getting-started"

t_run "version" 0 "$CARAVAN" version
t_contains "version names the project" "$T_OUT" "Caravan v"
t_run "-version" 0 "$CARAVAN" -version
t_run "help" 0 "$CARAVAN" help
t_contains "help lists job" "$T_OUT" "job"
t_run "help job run" 0 "$CARAVAN" help job run
t_contains "help job run shows usage" "$T_OUT" "Usage: caravan job run"
t_run "job run -help" 0 "$CARAVAN" job run -help
t_run "no command" 127 "$CARAVAN"
t_run "unknown command" 127 "$CARAVAN" frobnicate
t_contains "unknown command named" "$T_ERR" "frobnicate"
t_run "parent without subcommand" 1 "$CARAVAN" job
t_contains "parent prints its subcommands" "$T_ERR" "validate"
t_run "flags before subcommand" 1 "$CARAVAN" -address=x job
t_run "validate without path" 1 "$CARAVAN" job validate
t_contains "usage printed on usage error" "$T_ERR" "Usage: caravan job validate"
t_run "unknown flag" 1 "$CARAVAN" job validate -frob x.hcl
t_contains "unknown flag named" "$T_ERR" "flag provided but not defined: -frob"
t_run "missing file" 1 "$CARAVAN" job validate /nonexistent/job.hcl
t_contains "missing file named" "$T_ERR" "/nonexistent/job.hcl"

for j in redis web setup employee; do
    f="$EX/pytechco-$j.nomad.hcl"
    t_run "validate pytechco-$j" 0 "$CARAVAN" job validate "$f"
    t_contains "pytechco-$j validation successful" "$T_OUT" "Job validation successful"
    t_contains "pytechco-$j validated locally" "$T_OUT" "couldn't be established"
    t_run "alias validate pytechco-$j" 0 "$CARAVAN" validate "$f"
    t_run "run -output pytechco-$j" 0 "$CARAVAN" job run -output "$f"
    t_eq "pytechco-$j -output ID" "$(printf '%s' "$T_OUT" | jq -r .Job.ID)" "pytechco-$j"
done

t_run "run -output redis" 0 "$CARAVAN" job run -output "$EX/pytechco-redis.nomad.hcl"
J=$T_OUT
t_eq "redis type" "$(jq -r .Job.Type <<<"$J")" "service"
t_eq "redis port to" "$(jq -r '.Job.TaskGroups[0].Networks[0].DynamicPorts[0].To' <<<"$J")" "6379"
t_eq "redis port label" "$(jq -r '.Job.TaskGroups[0].Networks[0].DynamicPorts[0].Label' <<<"$J")" "redis"
t_eq "redis service provider" "$(jq -r '.Job.TaskGroups[0].Services[0].Provider' <<<"$J")" "nomad"
t_eq "redis service name" "$(jq -r '.Job.TaskGroups[0].Services[0].Name' <<<"$J")" "redis-svc"
t_eq "redis driver config image" "$(jq -r '.Job.TaskGroups[0].Tasks[0].Config.image' <<<"$J")" "redis:7.0.7-alpine"
t_eq "redis count" "$(jq -r '.Job.TaskGroups[0].Count' <<<"$J")" "1"
t_eq "redis service port" "$(jq -r '.Job.TaskGroups[0].Services[0].PortLabel' <<<"$J")" "redis"
t_eq "redis driver" "$(jq -r '.Job.TaskGroups[0].Tasks[0].Driver' <<<"$J")" "docker"
t_eq "redis unset priority is null" "$(jq -r '.Job.Priority' <<<"$J")" "null"

t_run "run -output web" 0 "$CARAVAN" job run -output "$EX/pytechco-web.nomad.hcl"
J=$T_OUT
t_eq "web static port" "$(jq -r '.Job.TaskGroups[0].Networks[0].ReservedPorts[0].Value' <<<"$J")" "5000"
t_eq "web static port label" "$(jq -r '.Job.TaskGroups[0].Networks[0].ReservedPorts[0].Label' <<<"$J")" "web"
t_eq "web count" "$(jq -r '.Job.TaskGroups[0].Count' <<<"$J")" "1"
t_eq "web template env" "$(jq -r '.Job.TaskGroups[0].Tasks[0].Templates[0].Envvars' <<<"$J")" "true"
t_eq "web template dest" "$(jq -r '.Job.TaskGroups[0].Tasks[0].Templates[0].DestPath' <<<"$J")" "local/env.txt"
t_contains "web template data" "$(jq -r '.Job.TaskGroups[0].Tasks[0].Templates[0].EmbeddedTmpl' <<<"$J")" '{{ range nomadService "redis-svc" }}'

t_run "run -output setup" 0 "$CARAVAN" job run -output "$EX/pytechco-setup.nomad.hcl"
t_eq "setup type" "$(jq -r '.Job.Type' <<<"$T_OUT")" "batch"
t_eq "setup meta_required" "$(jq -c '.Job.ParameterizedJob.MetaRequired' <<<"$T_OUT")" '["budget"]'

t_run "run -output employee" 0 "$CARAVAN" job run -output "$EX/pytechco-employee.nomad.hcl"
J=$T_OUT
t_eq "employee cron" "$(jq -r '.Job.Periodic.Spec' <<<"$J")" "0/3 * * * * * *"
t_eq "employee prohibit_overlap" "$(jq -r '.Job.Periodic.ProhibitOverlap' <<<"$J")" "false"
t_eq "employee restart attempts" "$(jq -r '.Job.TaskGroups[0].Tasks[0].RestartPolicy.Attempts' <<<"$J")" "2"
t_eq "employee restart delay" "$(jq -r '.Job.TaskGroups[0].Tasks[0].RestartPolicy.Delay' <<<"$J")" "15000000000"
t_eq "employee restart interval" "$(jq -r '.Job.TaskGroups[0].Tasks[0].RestartPolicy.Interval' <<<"$J")" "10000000000"
t_eq "employee type" "$(jq -r '.Job.Type' <<<"$J")" "batch"
t_eq "employee restart mode" "$(jq -r '.Job.TaskGroups[0].Tasks[0].RestartPolicy.Mode' <<<"$J")" "fail"

# -var and -var-file reach the parser; -json reads the API form back.
cat >"$T_TMP/vars.nomad.hcl" <<'HCL'
variable "image" {
  type = string
}
variable "count" {
  type    = number
  default = 1
}
job "v" {
  group "g" {
    count = var.count
    task "t" {
      driver = "raw_exec"
      config {
        command = var.image
      }
    }
  }
}
HCL
echo 'count = 4' >"$T_TMP/vars.hcl"
t_run "run -output with -var and -var-file" 0 "$CARAVAN" job run -output \
    -var image=/bin/echo -var-file="$T_TMP/vars.hcl" "$T_TMP/vars.nomad.hcl"
t_eq "-var reached the job" "$(jq -r '.Job.TaskGroups[0].Tasks[0].Config.command' <<<"$T_OUT")" "/bin/echo"
t_eq "-var-file reached the job" "$(jq -r '.Job.TaskGroups[0].Count' <<<"$T_OUT")" "4"
printf '%s' "$T_OUT" >"$T_TMP/v.json"
t_run "validate -json of -output" 0 "$CARAVAN" job validate -json "$T_TMP/v.json"
t_run "missing required variable" 1 "$CARAVAN" job validate "$T_TMP/vars.nomad.hcl"
t_contains "missing variable named" "$T_ERR" "image"
t_run "validate from stdin" 0 "$CARAVAN" job validate - <"$EX/pytechco-redis.nomad.hcl"

cat >"$T_TMP/bad.nomad.hcl" <<'HCL'
job "bad" {
  type = "service"
  periodic {
    cron = "* * * * *"
  }
  group "g" {
    count = -1
    task "t" {
    }
  }
}
HCL
t_run "invalid job" 1 "$CARAVAN" job validate "$T_TMP/bad.nomad.hcl"
t_contains "validation errors heading" "$T_ERR" "Job validation errors:"
t_contains "periodic on service" "$T_ERR" 'Periodic can only be used with "batch" or "sysbatch" scheduler'
t_contains "missing driver" "$T_ERR" "Missing task driver"

cat >"$T_TMP/cron.nomad.hcl" <<'HCL'
job "cron" {
  type = "batch"
  periodic {
    crons     = ["0/3 * * * * * *", "61 * * * *"]
    time_zone = "Mars/Olympus_Mons"
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
t_run "invalid cron" 1 "$CARAVAN" job validate "$T_TMP/cron.nomad.hcl"
t_contains "cron field and reason" "$T_ERR" "Invalid cron spec \"61 * * * *\": syntax error in minute field: '61'"
t_contains "unknown time zone" "$T_ERR" 'Invalid time zone "Mars/Olympus_Mons": unknown time zone Mars/Olympus_Mons'
sed -e 's/, "61 \* \* \* \*"//' -e 's|Mars/Olympus_Mons|America/New_York|' \
    "$T_TMP/cron.nomad.hcl" >"$T_TMP/cron-ok.nomad.hcl"
t_run "valid crons and time zone" 0 "$CARAVAN" job validate "$T_TMP/cron-ok.nomad.hcl"

printf 'job "x" {\n  group "g" {\n    count = \n  }\n}\n' >"$T_TMP/syntax.nomad.hcl"
t_run "syntax error" 1 "$CARAVAN" job validate "$T_TMP/syntax.nomad.hcl"
t_contains "syntax error has position" "$T_ERR" "syntax.nomad.hcl:"

t_run "run without agent" 1 "$CARAVAN" job run -detach "$EX/pytechco-redis.nomad.hcl"
t_contains "run without agent explains" "$T_ERR" "Error submitting job"

done_testing
