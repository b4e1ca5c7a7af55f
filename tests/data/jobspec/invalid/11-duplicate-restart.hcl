# expect: 5:5: Duplicate restart block; Only one restart block is allowed. Another was defined at 11-duplicate-restart.hcl:4:5.
job "x" {
  group "g" {
    restart { attempts = 1 }
    restart { attempts = 2 }
  }
}
