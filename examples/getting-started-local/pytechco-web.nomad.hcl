# The tutorial's pytechco-web, on raw_exec with our own web.py. Until
# templates with nomadService exist, Redis is found on its static port.
variable "app_dir" {
  type        = string
  description = "absolute path of examples/getting-started-local/app"
}

variable "redis_port" {
  type    = number
  default = 26379
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

      env {
        REDIS_HOST       = "127.0.0.1"
        REDIS_PORT       = var.redis_port
        FLASK_HOST       = "0.0.0.0"
        REFRESH_INTERVAL = 500
      }

      config {
        command = "/usr/bin/python3"
        args    = ["${var.app_dir}/web.py"]
      }
    }
  }
}
