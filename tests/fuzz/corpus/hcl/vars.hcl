variable "n" {
 default = 3
}
locals { m = var.n * 2 }
job "x" { meta { a = "${local.m}-${NOMAD_ALLOC_ID}" } }
