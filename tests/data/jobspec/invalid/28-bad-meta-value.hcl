# expect: 4:9: Incorrect attribute value type; Inappropriate value for attribute "a": string required, got list.
job "x" {
  meta {
    a = ["x"]
  }
}
