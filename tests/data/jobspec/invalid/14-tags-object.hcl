# expect: 5:14: Incorrect attribute value type; Inappropriate value for attribute "tags": list of string required, got object.
job "x" {
  group "g" {
    service {
      tags = { a = 1 }
    }
  }
}
