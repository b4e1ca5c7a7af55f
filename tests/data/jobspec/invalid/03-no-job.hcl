# expect: 1:1: Missing job block
variable "x" {
  default = 1
}
