job "x" {
  group "g" {
    task "t" {
      driver = "raw_exec"
      config { command = "${var.nope}" }
    }
  }
}
