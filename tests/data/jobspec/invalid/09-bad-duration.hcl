# expect: 5:22: Invalid duration; Attribute "kill_timeout"
job "x" {
  group "g" {
    task "t" {
      kill_timeout = "5 minutes"
    }
  }
}
