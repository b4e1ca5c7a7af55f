# expect: 3:10
job "x" {
  name = frobnicate("x")
}
