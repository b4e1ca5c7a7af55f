# expect: 2:9
job "x" {
  group "g" {
