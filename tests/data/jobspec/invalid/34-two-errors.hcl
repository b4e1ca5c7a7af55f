# expect: 4:3: Unsupported argument; An argument named "colour" is not expected here.
# expect: 6:5: Unsupported argument; An argument named "cuont" is not expected here.
job "x" {
  colour = "blue"
  group "g" {
    cuont = 1
  }
}
