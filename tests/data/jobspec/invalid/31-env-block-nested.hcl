# expect: 6:9: Unsupported block type; Blocks of type "inner" are not expected here.
job "x" {
  group "g" {
    task "t" {
      env {
        inner {}
      }
    }
  }
}
