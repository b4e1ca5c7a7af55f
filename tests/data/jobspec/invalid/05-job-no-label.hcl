# expect: 2:1: Missing name for job
job {
}
