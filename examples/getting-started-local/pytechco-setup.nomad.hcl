# The tutorial's pytechco-setup, on raw_exec with our own setup.py: a
# parameterized batch job; `job dispatch -meta budget="200"
# pytechco-setup` resets the company to that budget.
variable "app_dir" {
  type        = string
  description = "absolute path of examples/getting-started-local/app"
}

variable "redis_port" {
  type    = number
  default = 26379
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

      env {
        REDIS_HOST = "127.0.0.1"
        REDIS_PORT = var.redis_port
        PTC_BUDGET = "${NOMAD_META_budget}"
      }

      config {
        command = "/usr/bin/python3"
        args    = ["${var.app_dir}/setup.py"]
      }
    }
  }
}
