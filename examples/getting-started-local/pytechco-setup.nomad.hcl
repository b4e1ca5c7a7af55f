# The tutorial's pytechco-setup, on raw_exec with our own setup.py. A
# plain batch job for now: the budget is a variable instead of the
# dispatch meta of the parameterized original.
variable "app_dir" {
  type        = string
  description = "absolute path of examples/getting-started-local/app"
}

variable "redis_port" {
  type    = number
  default = 26379
}

variable "budget" {
  type    = number
  default = 200
}

job "pytechco-setup" {
  type = "batch"

  group "ptc-setup" {
    count = 1

    task "ptc-setup-task" {
      driver = "raw_exec"

      env {
        REDIS_HOST = "127.0.0.1"
        REDIS_PORT = var.redis_port
        PTC_BUDGET = var.budget
      }

      config {
        command = "/usr/bin/python3"
        args    = ["${var.app_dir}/setup.py"]
      }
    }
  }
}
