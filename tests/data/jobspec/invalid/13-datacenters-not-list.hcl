# expect: 3:17: Incorrect attribute value type; Inappropriate value for attribute "datacenters": list of string required, got string.
job "x" {
  datacenters = "dc1"
}
