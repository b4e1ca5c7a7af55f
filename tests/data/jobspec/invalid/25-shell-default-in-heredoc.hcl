# expect: 7:
job "x" {
  group "g" {
    task "t" {
      template {
        data = <<EOH
X=${HOME:-/root}
EOH
      }
    }
  }
}
