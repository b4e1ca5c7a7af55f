# expect: 6:9: Unsupported argument; An argument named "dest" is not expected here.
job "x" {
  group "g" {
    task "t" {
      template {
        dest = "local/x"
      }
    }
  }
}
