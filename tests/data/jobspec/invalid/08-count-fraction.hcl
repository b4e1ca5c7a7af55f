# expect: 4:13: Incorrect attribute value type; Inappropriate value for attribute "count"
job "x" {
  group "g" {
    count = 1.5
  }
}
