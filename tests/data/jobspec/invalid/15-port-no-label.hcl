# expect: 5:7: Missing name for port
job "x" {
  group "g" {
    network {
      port {}
    }
  }
}
