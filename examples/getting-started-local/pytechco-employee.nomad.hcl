# The tutorial's pytechco-employee, on raw_exec with our own employee.py:
# a periodic batch job launching an employee every 3 seconds.
variable "app_dir" {
  type        = string
  description = "absolute path of examples/getting-started-local/app"
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

      template {
        data        = <<EOH
{{ range nomadService "redis-svc" }}
REDIS_HOST={{ .Address }}
REDIS_PORT={{ .Port }}
PTC_EMPLOYEE_ID={{ env "NOMAD_SHORT_ALLOC_ID"}}
{{ end }}
EOH
        destination = "local/env.txt"
        env         = true
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
