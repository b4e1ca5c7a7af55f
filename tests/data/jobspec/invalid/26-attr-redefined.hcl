# expect: 4:3: Attribute redefined
job "x" {
  type = "batch"
  type = "service"
}
