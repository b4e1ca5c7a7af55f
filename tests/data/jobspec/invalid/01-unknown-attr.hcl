# expect: 4:5: Unsupported argument; An argument named "cuont" is not expected here.
job "x" {
  group "g" {
    cuont = 2
    task "t" { driver = "raw_exec" }
  }
}
