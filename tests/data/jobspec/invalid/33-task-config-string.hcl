# expect: 5:16: Incorrect attribute value type; Inappropriate value for attribute "config": object required, got string.
job "x" {
  group "g" {
    task "t" {
      config = "x"
    }
  }
}
