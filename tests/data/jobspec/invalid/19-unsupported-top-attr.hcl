# expect: 2:1: Unsupported argument; An argument named "region" is not expected here.
region = "global"
job "x" {}
