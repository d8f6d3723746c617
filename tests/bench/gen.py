#!/usr/bin/env python3
"""Writes a synthetic province-year inbox for the benchmark.

usage: gen.py [--townships N] [--months M] [--year Y] [--seed S] OUTDIR

Writes OUTDIR/townships.csv (the registry: every township generated) and
OUTDIR/inbox/ with N x M submissions, each valid under submission format 1:
townships with 8-15 windows, 5-12 leaders, 0-60 walks a month and a
problem ledger carried from month to month (open problems stay listed
until rectified, then drop out), sent in mixed transports: bare .xml,
.xml.gz, .zip packages with an attachment, and batches (.zip of packages
and bare documents). Receive times (mtimes) fall on days 1-5 of the
following month, so the inbox order is month by month. Also writes
OUTDIR/extra/ with three further submissions (month M+1 of the first three
townships) for the benchmark's nights with one new submission, and
OUTDIR/manifest.txt with the counts.

The same arguments give byte-identical files (one random.Random(seed),
fixed zip and gzip timestamps). Standard library only.
"""

import argparse
import calendar
import gzip
import io
import os
import random
import zipfile

NS = "urn:bizenv:submission:1"

# Window names as townships write them: catalog names, usual variants, and
# an occasional name outside the catalog (mapped to "other", a warning).
WINDOW_NAMES = [
    ["市场监管", "市场监督管理"], ["农业农村", "农业"], ["林业和草原", "林草", "林业"],
    ["医保", "医疗保障"], ["社保", "社会保障", "人社"], ["退役军人", "退役军人服务"],
    ["城镇规划", "规划建设", "村镇规划"], ["国土资源", "自然资源"], ["文化服务", "文化"],
    ["计生", "卫生计生"], ["民政"], ["惠企政策“一站式”服务窗口", "一站式服务窗口"],
]
OTHER_WINDOWS = ["便民服务", "综合受理", "水利服务", "司法调解", "税务代办"]
LEADER_TITLES = ["党委书记", "乡长", "党委副书记", "纪委书记", "组织委员", "宣传委员",
                 "武装部长", "副乡长（分管农业农村）", "副乡长（分管社会事务）",
                 "人大主席团主席", "统战委员", "政法委员"]
PROBLEMS = ["办事指南未更新，申请材料清单与县级目录不一致", "补贴申领未明确办理时限",
            "一次性告知单缺失", "工作人员不在岗，未公示替岗人员", "未开展“好差评”评价引导",
            "异地就医备案需群众往返两次", "惠企资金兑现进度未公示", "窗口服务台账登记不全",
            "帮办代办流程未公开", "网上办理入口指引不清"]
SOURCES = ["walk", "supervision", "complaint", "other"]
TEXTS = ["加强政策靶向落地，聚焦重点领域和薄弱环节。", "积极开展企业对接，制定个性化招商方案。",
         "优化项目审批服务，将重点项目纳入帮办代办范畴。", "思想上认识不到位，服务意识不足。",
         "各单位协调配合度低，责任分工难落实。", "信息共享程度低，多个审批专网尚未打通。"]
PDF = b"%PDF-1.4\n% bizenv bench attachment\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
ZIP_TIME = (2020, 1, 1, 0, 0, 0)


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


def township_code(i):
    # 100 townships per county: 53 + 2-digit prefecture + 2-digit county + 3 digits
    county, town = divmod(i, 100)
    return "53%02d%02d%03d" % (county // 20 + 1, county % 20 + 1, town + 101)


class Township:
    """What stays the same from month to month, and the open ledger."""

    def __init__(self, rng, i):
        self.code = township_code(i)
        self.name = "第%d乡" % (i + 1)
        kinds = rng.sample(range(len(WINDOW_NAMES)), rng.randint(8, min(12, 15)))
        names = [rng.choice(WINDOW_NAMES[k]) for k in kinds]
        target = rng.randint(len(names), min(15, len(names) + 3))
        while len(names) < target:
            names.append(rng.choice(OTHER_WINDOWS) + str(len(names)))
        self.windows = [("W%02d" % (j + 1), n) for j, n in enumerate(names)]
        nlead = rng.randint(5, 12)
        self.leaders = [("L%02d" % (j + 1), "principal" if j < 2 else "deputy",
                         LEADER_TITLES[j % len(LEADER_TITLES)]) for j in range(nlead)]
        self.open = []  # [id, source, found, deadline, text] still open at month start
        self.next_problem = 1


def month_days(year, month):
    return calendar.monthrange(year, month)[1]


def ledger(rng, t, year, month, walks):
    """This month's ledger: carried open problems plus new ones; some get
    rectified. Returns the XML lines and updates t.open."""
    last = month_days(year, month)
    lines, still_open = [], []
    found_new = []
    for _ in range(rng.randint(0, 6)):
        pid = "P%s-%04d" % (t.code[-3:], t.next_problem)
        t.next_problem += 1
        day = rng.randint(1, last)
        deadline = "%04d-%02d-%02d" % (year, month, min(last, day + rng.randint(3, 20))) \
            if rng.random() < 0.5 else None
        found_new.append([pid, rng.choice(SOURCES), "%04d-%02d-%02d" % (year, month, day),
                          deadline, rng.choice(PROBLEMS)])
    for p in t.open + found_new:
        pid, source, found, deadline, text = p
        found_day = int(found[8:]) if found.startswith("%04d-%02d" % (year, month)) else 1
        attrs = 'id="%s" source="%s" found="%s"' % (pid, source, found)
        if rng.random() < 0.6:
            rect = "%04d-%02d-%02d" % (year, month, rng.randint(found_day, last))
            attrs += ' status="rectified" rectified="%s"' % rect
        else:
            attrs += ' status="%s"' % rng.choice(["open", "rectifying"])
            still_open.append(p)
        if deadline:
            attrs += ' deadline="%s"' % deadline
        lines.append('    <problem %s>%s</problem>' % (attrs, esc(text)))
    t.open = still_open
    # walks may name problems found this month
    for w in walks:
        if found_new and rng.random() < 0.15:
            pid = rng.choice(found_new)[0]
            if pid not in w[3:]:
                w.append(pid)
    return lines


def document(rng, t, year, month, revision):
    last = month_days(year, month)
    walks = []
    for _ in range(rng.randint(0, 60)):
        walks.append([rng.choice(t.leaders)[0], rng.choice(t.windows)[0],
                      "%04d-%02d-%02d" % (year, month, rng.randint(1, last))])
    problems = ledger(rng, t, year, month, walks)
    handled = rng.randint(0, 400)
    evaluated = rng.randint(handled * 8 // 10, handled) if handled else 0
    rate = 100.0 * evaluated / handled if handled else 0
    rate += rng.choice([0, 0, 0, 0.4, -0.5, 2.5])  # now and then off by more than a point
    rate = min(100, max(0, rate))
    sites = rng.randint(3, 20)
    ny, nm = (year + 1, 1) if month == 12 else (year, month + 1)
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<submission xmlns="%s" schemaVersion="1">' % NS,
           '  <township code="%s" name="%s"/>' % (t.code, esc(t.name)),
           '  <period>%04d-%02d</period>' % (year, month),
           '  <revision>%d</revision>' % revision,
           '  <submittedAt>%04d-%02d-%02dT%02d:%02d:00+08:00</submittedAt>'
           % (ny, nm, rng.randint(1, 4), rng.randint(8, 18), rng.randint(0, 59)),
           '  <contact name="党政办"%s/>' % (' phone="0878-555%04d"' % rng.randint(0, 9999)
                                         if rng.random() < 0.8 else ""),
           '  <oneStop>',
           '    <sites total="%d" withWindow="%d"/>' % (sites, rng.randint(0, sites)),
           '    <consultations%s>%d</consultations>'
           % (' approx="true"' if rng.random() < 0.3 else "", rng.randint(0, 500)),
           '    <jobPostings>%d</jobPostings>' % rng.randint(0, 800),
           '    <recruitmentEvents>%d</recruitmentEvents>' % rng.randint(0, 10),
           '  </oneStop>',
           '  <countyItems>%d</countyItems>' % rng.randint(50, 200),
           '  <evaluation handled="%d" evaluated="%d" reportedRate="%.1f"/>'
           % (handled, evaluated, rate),
           '  <windows>']
    out += ['    <window id="%s">%s</window>' % (i, esc(n)) for i, n in t.windows]
    out += ['  </windows>', '  <leaders>']
    out += ['    <leader id="%s" role="%s">%s</leader>' % l for l in t.leaders]
    out += ['  </leaders>', '  <walks>']
    walks.sort(key=lambda w: w[2])
    for w in walks:
        extra = ' problems="%s"' % " ".join(w[3:]) if len(w) > 3 else ""
        out.append('    <walk leader="%s" window="%s" date="%s"%s/>' % (w[0], w[1], w[2], extra))
    out += ['  </walks>', '  <problems>'] + problems + ['  </problems>']
    out.append('  <engagement symposia="%d" merchantsVisited="%d" enterprisesVisited="%d"/>'
               % (rng.randint(0, 3), rng.randint(0, 60), rng.randint(0, 10)))
    out.append('  <discipline inspections="%d" warningSessions="%d" violations="%d"/>'
               % (rng.randint(0, 5), rng.randint(0, 12), rng.randint(0, 1)))
    if rng.random() < 0.7:
        rec = rng.randint(0, 5)
        out.append('  <complaints received="%d" resolved="%d"/>' % (rec, rng.randint(0, rec)))
    out.append('  <mechanisms>')
    out += ['    <document>《第%d号实施方案》</document>' % rng.randint(1, 99)
            for _ in range(rng.randint(0, 3))]
    out.append('  </mechanisms>')
    for tag in ("difficulties", "nextSteps", "suggestions"):
        items = [rng.choice(TEXTS) for _ in range(rng.randint(0, 3))]
        if items:
            out += ['  <%s>' % tag] + ['    <item>%s</item>' % x for x in items] + ['  </%s>' % tag]
        else:
            out.append('  <%s/>' % tag)
    out.append('</submission>')
    return ("\n".join(out) + "\n").encode("utf-8")


def zip_bytes(entries):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return buf.getvalue()


def package(name, xml):
    return zip_bytes([(name + ".xml", xml), ("attachments/report.pdf", PDF)])


def write(path, data, mtime):
    with open(path, "wb") as f:
        f.write(data)
    os.utime(path, (mtime, mtime))


def receive_time(rng, year, month):
    ny, nm = (year + 1, 1) if month == 12 else (year, month + 1)
    # days 1-5 of the following month, 08:00-20:00 Asia/Shanghai (UTC+8)
    return calendar.timegm((ny, nm, rng.randint(1, 5), rng.randint(0, 11), rng.randint(0, 59),
                            rng.randint(0, 59), 0, 0, 0))


def emit_month(rng, towns, year, month, inbox, counts):
    """Writes one month of every township; about 5% travel in batches of 5-20."""
    pending_batch = []
    for t in towns:
        xml = document(rng, t, year, month, 1 if rng.random() < 0.95 else 2)
        base = "%s-%04d-%02d" % (t.code, year, month)
        mtime = receive_time(rng, year, month)
        r = rng.random()
        if r < 0.05:
            pending_batch.append((base, xml, mtime))
            if len(pending_batch) >= rng.randint(5, 20):
                flush_batch(rng, pending_batch, inbox, counts)
            continue
        if r < 0.55:
            write(os.path.join(inbox, base + ".xml"), xml, mtime)
            counts["xml"] += 1
        elif r < 0.75:
            write(os.path.join(inbox, base + ".xml.gz"),
                  gzip.compress(xml, compresslevel=6, mtime=0), mtime)
            counts["xml.gz"] += 1
        else:
            write(os.path.join(inbox, base + ".zip"), package(base, xml), mtime)
            counts["zip"] += 1
    flush_batch(rng, pending_batch, inbox, counts)


def flush_batch(rng, items, inbox, counts):
    if not items:
        return
    entries = []
    for base, xml, _ in items:
        if rng.random() < 0.5:
            entries.append((base + ".zip", package(base, xml)))
        else:
            entries.append((base + ".xml", xml))
    name = "batch-%s.zip" % items[0][0]
    write(os.path.join(inbox, name), zip_bytes(entries), max(m for _, _, m in items))
    counts["batch"] += 1
    counts["in_batches"] += len(items)
    items.clear()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--townships", type=int, default=1500)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--year", type=int, default=2025)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("out")
    a = ap.parse_args()
    if not 1 <= a.months <= 12 or not 1 <= a.townships <= 9000:
        ap.error("1-12 months, 1-9000 townships")
    rng = random.Random(a.seed)
    inbox = os.path.join(a.out, "inbox")
    extra = os.path.join(a.out, "extra")
    os.makedirs(inbox, exist_ok=True)
    os.makedirs(extra, exist_ok=True)
    towns = [Township(rng, i) for i in range(a.townships)]
    with open(os.path.join(a.out, "townships.csv"), "w", encoding="utf-8") as f:
        f.write("code,name\n")
        for t in towns:
            f.write("%s,%s\n" % (t.code, t.name))
    counts = {"xml": 0, "xml.gz": 0, "zip": 0, "batch": 0, "in_batches": 0}
    for m in range(1, a.months + 1):
        emit_month(rng, towns, a.year, m, inbox, counts)
    # the next month of the first three townships, for the nights with one
    # new submission
    y, m = (a.year + 1, 1) if a.months == 12 else (a.year, a.months + 1)
    for t in towns[:3]:
        base = "%s-%04d-%02d" % (t.code, y, m)
        write(os.path.join(extra, base + ".xml"), document(rng, t, y, m, 1),
              receive_time(rng, y, m))
    size = sum(os.path.getsize(os.path.join(inbox, n)) for n in os.listdir(inbox))
    with open(os.path.join(a.out, "manifest.txt"), "w") as f:
        f.write("submissions %d\nfiles %d\nbytes %d\n" % (a.townships * a.months,
                                                         len(os.listdir(inbox)), size))
        for k in sorted(counts):
            f.write("%s %d\n" % (k, counts[k]))


if __name__ == "__main__":
    main()
