# The tutorial's pytechco-web, on raw_exec with our own web.py; Redis is
# found through the native service catalogue, as in the tutorial.
variable "app_dir" {
  type        = string
  description = "absolute path of examples/getting-started-local/app"
}

variable "web_port" {
  type    = number
  default = 5000
}

job "pytechco-web" {
  type = "service"

  group "ptc-web" {
    count = 1
    network {
      port "web" {
        static = var.web_port
      }
    }

    service {
      name     = "ptc-web-svc"
      port     = "web"
      provider = "nomad"
    }

    task "ptc-web-task" {
      driver = "raw_exec"

      template {
        data        = <<EOH
{{ range nomadService "redis-svc" }}
REDIS_HOST={{ .Address }}
REDIS_PORT={{ .Port }}
FLASK_HOST=0.0.0.0
REFRESH_INTERVAL=500
{{ end }}
EOH
        destination = "local/env.txt"
        env         = true
      }

      config {
        command = "/usr/bin/python3"
        args    = ["${var.app_dir}/web.py"]
      }
    }
  }
}
