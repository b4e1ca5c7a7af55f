# expect: 4:13: Incorrect attribute value type; Inappropriate value for attribute "count": a whole number required, got string.
job "x" {
  group "g" {
    count = "two"
  }
}
