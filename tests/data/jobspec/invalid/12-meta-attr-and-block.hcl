# expect: 4:3: Duplicate meta
job "x" {
  meta = { a = "1" }
  meta {
    b = "2"
  }
}
