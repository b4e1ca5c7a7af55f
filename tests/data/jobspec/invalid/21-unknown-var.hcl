# expect: 5:16
job "x" {
  group "g" {
    task "t" {
      driver = var.nope
    }
  }
}
