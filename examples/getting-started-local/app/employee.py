"""pytechco employee: comes online, works while the budget lasts (each
second of work costs the company: $1 a developer, $2 a sales engineer),
then goes offline."""
import argparse
import os
import random
import time

import ptc

COST = {"developer": 1, "sales_engineer": 2}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--employee-type", choices=sorted(COST), default="developer")
    ap.add_argument("--work-seconds", type=int, default=random.randint(3, 8))
    args = ap.parse_args()
    me = os.environ.get("PTC_EMPLOYEE_ID") or os.environ.get(
        "NOMAD_SHORT_ALLOC_ID") or "%08x" % random.getrandbits(32)
    r = ptc.connect_retrying()
    r.cmd("HSET", "online", me, args.employee_type)
    ptc.log_event(r, "%s (%s) came online" % (me, args.employee_type))
    print("%s (%s) online" % (me, args.employee_type), flush=True)
    try:
        for _ in range(args.work_seconds):
            left = r.cmd("DECRBY", "budget", COST[args.employee_type])
            if left < 0:
                r.cmd("INCRBY", "budget", COST[args.employee_type])
                ptc.log_event(r, "%s stopped: out of budget" % me)
                break
            time.sleep(1)
    finally:
        r.cmd("HDEL", "online", me)
        ptc.log_event(r, "%s went offline" % me)
        print("%s offline" % me, flush=True)


if __name__ == "__main__":
    main()
