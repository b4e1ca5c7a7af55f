# The tutorial's pytechco-redis, on raw_exec with Debian's redis-server.
# Redis listens on a static port here (see README.md in this folder).
variable "redis_port" {
  type    = number
  default = 26379
}

job "pytechco-redis" {
  type = "service"

  group "ptc-redis" {
    count = 1

    network {
      port "redis" {
        static = var.redis_port
      }
    }

    service {
      name     = "redis-svc"
      port     = "redis"
      provider = "nomad"
    }

    task "redis-task" {
      driver = "raw_exec"

      config {
        command = "/usr/bin/redis-server"
        args = [
          "--port", "${NOMAD_PORT_redis}",
          "--bind", "127.0.0.1",
          "--save", "",
          "--appendonly", "no",
          "--dir", "${NOMAD_TASK_DIR}",
        ]
      }

      resources {
        cpu    = 200
        memory = 128
      }
    }
  }
}
