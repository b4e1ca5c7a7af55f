# expect: 3:8
job "x" {
  type "batch"
}
