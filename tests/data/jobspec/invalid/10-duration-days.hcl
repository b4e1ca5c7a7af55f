# expect: 6:18: Invalid duration; Attribute "interval"
job "x" {
  group "g" {
    restart {
      attempts = 1
      interval = "1d"
    }
  }
}
