"""pytechco setup: resets the company to a budget (PTC_BUDGET or --budget)."""
import argparse
import os
import sys

import ptc


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--budget", type=int,
                    default=int(os.environ.get("PTC_BUDGET", "200")))
    args = ap.parse_args()
    if args.budget < 0:
        sys.exit("budget must be >= 0")
    r = ptc.connect_retrying()
    r.cmd("DEL", "online", "log")
    r.cmd("SET", "budget", args.budget)
    ptc.log_event(r, "setup: budget set to $%d" % args.budget)
    print("budget set to $%d" % args.budget)


if __name__ == "__main__":
    main()
