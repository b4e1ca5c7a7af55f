job "encode" {
  type = "batch"

  parameterized {
    payload       = "required"
    meta_required = ["input"]
    meta_optional = ["quality"]
  }

  periodic {
    crons            = ["0 */6 * * *", "@daily"]
    prohibit_overlap = true
    time_zone        = "Europe/Paris"
  }

  meta {
    quality = "high"
  }

  task "ffmpeg" {
    driver = "exec"

    config {
      command = "/usr/local/bin/encode"
      args    = ["-in", "${NOMAD_META_input}", "-cfg", "${NOMAD_TASK_DIR}/job.json"]
    }

    dispatch_payload {
      file = "job.json"
    }

    restart {
      attempts = 1
      mode     = "fail"
    }
  }
}
