# expect: 3:3: Extraneous label for group
job "x" {
  group "a" "b" {}
}
