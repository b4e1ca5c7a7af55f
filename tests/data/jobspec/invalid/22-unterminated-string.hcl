# expect: 3:10
job "x" {
  type = "service
}
