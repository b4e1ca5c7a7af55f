# expect: 3:1: Duplicate job block
job "a" {}
job "b" {}
