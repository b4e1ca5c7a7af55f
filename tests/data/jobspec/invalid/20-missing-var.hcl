# expect: No value for required variable
variable "image" {
  type = string
}
job "x" {
  group "g" {
    task "t" {
      config { image = var.image }
    }
  }
}
