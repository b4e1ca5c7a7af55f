# expect: 3:3: Unsupported block type; Blocks of type "grupo" are not expected here.
job "x" {
  grupo "g" {}
}
