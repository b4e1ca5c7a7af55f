# The tutorial's pytechco-setup, on raw_exec with our own setup.py: a
# parameterized batch job; `job dispatch -meta budget="200"
# pytechco-setup` resets the company to that budget. Redis and the budget
# come in through a template, as in the tutorial.
variable "app_dir" {
  type        = string
  description = "absolute path of examples/getting-started-local/app"
}

job "pytechco-setup" {
  type = "batch"

  parameterized {
    meta_required = ["budget"]
  }

  group "ptc-setup" {
    count = 1

    task "ptc-setup-task" {
      driver = "raw_exec"

      template {
        data        = <<EOH
{{ range nomadService "redis-svc" }}
REDIS_HOST={{ .Address }}
REDIS_PORT={{ .Port }}
{{ end }}
PTC_BUDGET={{ env "NOMAD_META_budget" }}
EOH
        destination = "local/env.txt"
        env         = true
      }

      config {
        command = "/usr/bin/python3"
        args    = ["${var.app_dir}/setup.py"]
      }
    }
  }
}
