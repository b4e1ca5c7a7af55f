# The tutorial's pytechco-redis, on raw_exec with Debian's redis-server,
# on a dynamic port, registered as redis-svc in the service catalogue.
job "pytechco-redis" {
  type = "service"

  group "ptc-redis" {
    count = 1

    network {
      port "redis" {}
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
