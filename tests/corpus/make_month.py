#!/usr/bin/env python3
"""A scripted month of a county (tests/e2e/070_journal.t): the inbox of
each night, with receive times (modification times) inside the day before
its as-of date, and the two registries the month loads.

  night1 (as of 2026-11-03)  the demo inbox: every transport, warnings, a
                             rejected report, revision 2 of 白云镇
  night2 (2026-11-05)        three more townships; 西河乡 revision 2; 南坪镇
                             revision 1 again with other figures (conflict);
                             白云镇 revision 1 again (stale)
  night3 (2026-11-08)        the new township 新城镇 (registry 2) on time with
                             deadline day 7; 青松乡 corrected, late
  night4 (2026-11-15)        东山镇 (renamed 东山街道 in registry 2) revision 2;
                             示例乡 for September, a month before
  townships-1.csv            the demo registry
  townships-2.csv            东山镇 renamed, 新城镇 added, 桃源镇 gone

Usage: make_month.py OUTDIR
"""
import calendar
import datetime
import gzip
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO = os.path.join(HERE, "..", "..", "jobs", "demo")
sys.path.insert(0, DEMO)
import make_inbox  # noqa: E402  (the demo's report builder)

report = make_inbox.report
TZ = datetime.timezone(datetime.timedelta(hours=8))


def at(day, hour, minute=0):
    t = datetime.datetime(2026, 11, day, hour, minute, tzinfo=TZ)
    return calendar.timegm(t.utctimetuple())


def put(folder, name, data, when):
    path = os.path.join(folder, name)
    with open(path, "wb") as f:
        f.write(data)
    os.utime(path, (when, when))


def main(out):
    os.makedirs(out, exist_ok=True)
    make_inbox.main(os.path.join(out, "night1"))
    shutil.copyfile(os.path.join(DEMO, "townships.csv"), os.path.join(out, "townships-1.csv"))
    with open(os.path.join(out, "townships-2.csv"), "w", encoding="utf-8") as f:
        f.write("code,name\n539901101,示例乡\n539901102,东山街道\n539901103,西河乡\n"
                "539901104,南坪镇\n539901105,北岭乡\n539901106,青松乡\n539901107,白云镇\n"
                "539901108,龙泉乡\n539901109,石门乡\n539901111,新城镇\n")

    n2 = os.path.join(out, "night2")
    os.makedirs(n2)
    put(n2, "539901108-2026-10.xml",
        report("539901108", "龙泉乡", "2026-10", handled=21, evaluated=20), at(4, 9))
    put(n2, "539901109-2026-10.xml.gz",
        gzip.compress(report("539901109", "石门乡", "2026-10", handled=33, evaluated=29,
                             walked=(1, 2, 3)), mtime=0), at(4, 10))
    put(n2, "539901110-2026-10.xml",
        report("539901110", "桃源镇", "2026-10", handled=12, evaluated=12, walked=(0,)),
        at(5, 9))
    put(n2, "539901103-2026-10-r2.xml",
        report("539901103", "西河乡", "2026-10", revision=2, handled=30, evaluated=29,
               reported="97", walked=(0, 1, 2, 3, 4)), at(5, 10))
    put(n2, "539901104-2026-10-again.xml",
        report("539901104", "南坪镇", "2026-10", handled=26, evaluated=24), at(5, 11))
    put(n2, "539901107-2026-10-old.xml",
        report("539901107", "白云镇", "2026-10", handled=40, evaluated=20), at(5, 12))

    n3 = os.path.join(out, "night3")
    os.makedirs(n3)
    put(n3, "539901111-2026-10.xml",
        report("539901111", "新城镇", "2026-10", handled=15, evaluated=14, walked=(0, 1)),
        at(7, 15))
    put(n3, "539901106-2026-10-更正.xml",
        report("539901106", "青松乡", "2026-10", handled=20, evaluated=19), at(8, 9))

    n4 = os.path.join(out, "night4")
    os.makedirs(n4)
    put(n4, "东山街道-2026-10-r2.xml",
        report("539901102", "东山街道", "2026-10", revision=2, handled=52, evaluated=50,
               reported="96", walked=range(10)), at(14, 16))
    put(n4, "539901101-2026-09.xml",
        report("539901101", "示例乡", "2026-09", handled=30, evaluated=28,
               problems=[("SL-09", "2026-09-10", "open", None, "2026-12-31")]), at(15, 8))


if __name__ == "__main__":
    main(sys.argv[1])
