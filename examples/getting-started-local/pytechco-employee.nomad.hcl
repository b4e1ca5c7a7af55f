# The tutorial's pytechco-employee, on raw_exec with our own employee.py:
# a periodic batch job launching an employee every 3 seconds.
variable "app_dir" {
  type        = string
  description = "absolute path of examples/getting-started-local/app"
}

variable "redis_port" {
  type    = number
  default = 26379
}

job "pytechco-employee" {
  type = "batch"

  periodic {
    cron             = "0/3 * * * * * *"
    prohibit_overlap = false
  }

  group "ptc-employee" {
    count = 1

    task "ptc-employee-task" {
      restart {
        attempts = 2
        delay    = "15s"
        interval = "10s"
        mode     = "fail"
      }

      driver = "raw_exec"

      env {
        REDIS_HOST      = "127.0.0.1"
        REDIS_PORT      = var.redis_port
        PTC_EMPLOYEE_ID = "${NOMAD_SHORT_ALLOC_ID}"
      }

      config {
        command = "/usr/bin/python3"
        args    = ["${var.app_dir}/employee.py"]
        // args = [
        //   "${var.app_dir}/employee.py", "--employee-type", "sales_engineer"
        // ]
      }
    }
  }
}
