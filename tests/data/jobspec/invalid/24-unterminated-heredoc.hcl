# expect: 6:14
job "x" {
  group "g" {
    task "t" {
      template {
        data = <<EOH
hello
