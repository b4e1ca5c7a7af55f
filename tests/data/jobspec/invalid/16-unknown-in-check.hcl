# expect: 6:9: Unsupported argument; An argument named "intervall" is not expected here.
job "x" {
  group "g" {
    service {
      check {
        intervall = "10s"
      }
    }
  }
}
