# expect: 3:3: Extraneous label for constraint
job "x" {
  constraint "c" {
    attribute = "${attr.kernel.name}"
  }
}
