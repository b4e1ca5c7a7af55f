# expect: 3:17: Incorrect attribute value type; Inappropriate value for attribute "all_at_once": bool required, got number.
job "x" {
  all_at_once = 1
}
