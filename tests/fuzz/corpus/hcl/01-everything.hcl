# A jobspec that uses most of what the model knows, for round trips.
variable "image" {
  type    = string
  default = "redis:7"
}

locals {
  svc = "cache-${var.image == "" ? "none" : "redis"}"
}

job "everything" {
  region      = "global"
  namespace   = "default"
  datacenters = ["dc1", "dc2"]
  type        = "service"
  priority    = 70
  all_at_once = false

  meta {
    owner = "team-a"
    tier  = 2
  }

  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }

  constraint {
    distinct_hosts = true
  }

  affinity {
    attribute = "${node.datacenter}"
    value     = "dc1"
    weight    = 60
  }

  spread {
    attribute = "${node.datacenter}"
    weight    = 100
    target "dc1" {
      percent = 60
    }
    target "dc2" {
      percent = 40
    }
  }

  update {
    max_parallel      = 2
    min_healthy_time  = "15s"
    healthy_deadline  = "4m"
    progress_deadline = "9m"
    auto_revert       = true
    canary            = 1
  }

  reschedule {
    delay          = "40s"
    delay_function = "exponential"
    max_delay      = "30m"
    unlimited      = true
  }

  group "cache" {
    count = 3

    network {
      port "db" {
        to = 6379
      }
      port "admin" {
        static = 8081
      }
    }

    ephemeral_disk {
      size   = 500
      sticky = true
    }

    restart {
      attempts = 4
      interval = "10m"
      delay    = "20s"
      mode     = "delay"
    }

    service {
      name     = local.svc
      port     = "db"
      provider = "nomad"
      tags     = ["primary", "v7"]

      check {
        name     = "alive"
        type     = "tcp"
        interval = "10s"
        timeout  = "2s"
      }

      check {
        type     = "http"
        port     = "admin"
        path     = "/health"
        method   = "POST"
        interval = "15s"
        timeout  = "3s"
        header {
          X-Probe = ["caravan"]
        }
        check_restart {
          limit = 3
          grace = "30s"
        }
      }
    }

    task "redis" {
      driver       = "docker"
      kill_timeout = "20s"
      kill_signal  = "SIGTERM"
      leader       = true

      config {
        image = var.image
        ports = ["db"]
        args  = ["--port", "${NOMAD_PORT_db}"]
      }

      env {
        MODE = "cache"
      }

      resources {
        cpu    = 500
        memory = 256
      }

      logs {
        max_files     = 3
        max_file_size = 15
      }

      template {
        data          = <<-EOH
          port {{ env "NOMAD_PORT_db" }}
          EOH
        destination   = "local/redis.conf"
        change_mode   = "signal"
        change_signal = "sighup"
      }

      artifact {
        source      = "https://example.com/tool.tar.gz"
        destination = "local/tool"
        options {
          checksum = "sha256:abc"
        }
      }
    }

    task "log-shipper" {
      driver = "raw_exec"

      lifecycle {
        hook    = "poststart"
        sidecar = true
      }

      config {
        command = "/bin/sh"
        args    = ["-c", "tail -F ${NOMAD_ALLOC_DIR}/logs/redis.stdout.0"]
      }
    }
  }
}
