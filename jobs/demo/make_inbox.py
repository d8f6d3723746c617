#!/usr/bin/env python3
"""Builds the demo inbox for `make run`.

The normative example (示例乡, 2026-10) is copied as is; the other
townships' reports are generated here with figures in the range of the seed
report, in every transport: bare XML, .xml.gz, a zip package with an
attachment, a batch of a package and an XML. Some carry warnings (an unknown
window name, approximate counts, a problem past its deadline); one is
rejected (evaluated above handled); one township sends a corrected revision.
Files get increasing modification times so the inbox order is the one below.

Usage: make_inbox.py OUTDIR
"""
import gzip
import io
import os
import shutil
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))

WINDOWS = ["市场监管", "农业农村", "林业和草原", "医保", "社保", "退役军人", "城镇规划",
           "国土资源", "文化服务", "计生", "民政", "惠企政策“一站式”服务窗口"]
LEADERS = [("principal", "党委书记"), ("principal", "乡长"), ("deputy", "党委副书记"),
           ("deputy", "纪委书记"), ("deputy", "组织委员"), ("deputy", "宣传委员"),
           ("deputy", "武装部长"), ("deputy", "副乡长")]


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


def report(code, name, period, revision=1, handled=40, evaluated=38, reported=None,
           windows=WINDOWS, walked=(0, 1, 2, 3, 4, 5, 6, 7), problems=(), approx=False):
    """One submission. `walked` are window indexes walked (leader i walks
    window walked[i % len]); problems are (id, found, status, rectified, deadline)."""
    y, m = int(period[:4]), int(period[5:])
    sent = f"{y + m // 12}-{m % 12 + 1:02d}-03T10:00:00+08:00"
    approx_attr = ' approx="true"' if approx else ""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<submission xmlns="urn:bizenv:submission:1" schemaVersion="1">',
             f'  <township code="{code}" name="{esc(name)}"/>',
             f'  <period>{period}</period>',
             f'  <revision>{revision}</revision>',
             f'  <submittedAt>{sent}</submittedAt>',
             f'  <contact name="{esc(name)}党政办" phone="0878-5550{code[-3:]}"/>',
             '  <oneStop>',
             '    <sites total="6" withWindow="6"/>',
             f'    <consultations{approx_attr}>80</consultations>',
             '    <jobPostings>150</jobPostings>',
             '    <recruitmentEvents>2</recruitmentEvents>',
             '  </oneStop>',
             '  <countyItems>142</countyItems>']
    rate = f' reportedRate="{reported}"' if reported is not None else ""
    lines.append(f'  <evaluation handled="{handled}" evaluated="{evaluated}"{rate}/>')
    lines.append('  <windows>')
    for i, w in enumerate(windows):
        lines.append(f'    <window id="W{i + 1:02d}">{esc(w)}</window>')
    lines.append('  </windows>\n  <leaders>')
    for i, (role, title) in enumerate(LEADERS):
        lines.append(f'    <leader id="L{i + 1:02d}" role="{role}">{esc(title)}</leader>')
    lines.append('  </leaders>\n  <walks>')
    for i, w in enumerate(walked):
        lines.append(f'    <walk leader="L{i % len(LEADERS) + 1:02d}" window="W{w + 1:02d}" '
                     f'date="{period}-{i + 5:02d}"/>')
    lines.append('  </walks>\n  <problems>')
    for pid, found, status, rectified, deadline in problems:
        attrs = f'id="{pid}" source="walk" found="{found}" status="{status}"'
        if rectified:
            attrs += f' rectified="{rectified}"'
        if deadline:
            attrs += f' deadline="{deadline}"'
        lines.append(f'    <problem {attrs}>窗口办事指南未及时更新</problem>')
    lines += ['  </problems>',
              '  <engagement symposia="1" merchantsVisited="20" enterprisesVisited="3"/>',
              '  <discipline inspections="1" warningSessions="2" violations="0"/>',
              '  <complaints received="1" resolved="1"/>',
              '  <mechanisms>\n    <document>《优化营商环境“暖心行动”工作方案》</document>\n  </mechanisms>',
              '  <difficulties>\n    <item>部门之间信息共享程度低。</item>\n  </difficulties>',
              '  <nextSteps/>', '  <suggestions/>', '</submission>', '']
    return "\n".join(lines).encode("utf-8")


def zip_bytes(entries):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            z.writestr(name, data)
    return buf.getvalue()


def main(out):
    os.makedirs(out, exist_ok=True)
    files = []
    # 示例乡: the normative example, unchanged
    with open(os.path.join(HERE, "539901101-2026-10.xml"), "rb") as f:
        files.append(("539901101-2026-10.xml", f.read()))
    # 东山镇: a zip package with the signed report attached
    dongshan = report("539901102", "东山镇", "2026-10", handled=52, evaluated=52, reported="100",
                      walked=range(12),
                      problems=[("DS-01", "2026-10-09", "rectified", "2026-10-16", None)])
    files.append(("东山镇10月报送.zip", zip_bytes([
        ("539901102-2026-10.xml", dongshan),
        ("attachments/东山镇10月工作报告.pdf", b"%PDF-1.4\n% demo attachment\n%%EOF\n")])))
    # 西河乡: gzip; an unknown window name, approximate counts, an overdue problem
    xihe = report("539901103", "西河乡", "2026-10", handled=30, evaluated=27, reported="90",
                  windows=WINDOWS[:10] + ["便民服务窗口"], walked=(0, 1, 2, 10), approx=True,
                  problems=[("XH-01", "2026-10-08", "rectifying", None, "2026-10-20"),
                            ("XH-02", "2026-10-12", "rectified", "2026-10-25", None)])
    files.append(("539901103-2026-10.xml.gz", gzip.compress(xihe, mtime=0)))
    # 南坪镇 and 北岭乡: a batch re-sent by the county office
    nanping = report("539901104", "南坪镇", "2026-10", handled=25, evaluated=24, reported="96",
                     walked=(0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
                     problems=[("NP-01", "2026-10-03", "rectified", "2026-10-10", None),
                               ("NP-02", "2026-10-21", "open", None, "2026-11-30")])
    beiling = report("539901105", "北岭乡", "2026-10", handled=38, evaluated=38, walked=(0, 3, 4))
    files.append(("县营商办批量转报.zip", zip_bytes([
        ("南坪镇.zip", zip_bytes([("539901104-2026-10.xml", nanping),
                                  ("attachments/照片1.jpg", b"\xff\xd8\xff demo photo")])),
        ("539901105-2026-10.xml", beiling)])))
    # 青松乡: rejected, more cases evaluated than handled
    files.append(("539901106-2026-10.xml",
                  report("539901106", "青松乡", "2026-10", handled=20, evaluated=23)))
    # 白云镇: revision 1, then a corrected revision 2 that supersedes it
    files.append(("539901107-2026-10.xml",
                  report("539901107", "白云镇", "2026-10", handled=44, evaluated=30)))
    files.append(("539901107-2026-10-更正.xml",
                  report("539901107", "白云镇", "2026-10", revision=2, handled=44, evaluated=41,
                         walked=(0, 1, 2, 3, 4, 5))))
    # 龙泉乡: September only, so October shows it as not reported
    files.append(("539901108-2026-09.xml",
                  report("539901108", "龙泉乡", "2026-09", handled=18, evaluated=17)))
    base = 1793667600  # 2026-11-03 09:00 +08:00, then one minute apart in the order above
    for i, (name, data) in enumerate(files):
        path = os.path.join(out, name)
        with open(path, "wb") as f:
            f.write(data)
        os.utime(path, (base + 60 * i, base + 60 * i))
    shutil.copyfile(os.path.join(HERE, "townships.csv"), os.path.join(out, "..", "townships.csv"))


if __name__ == "__main__":
    main(sys.argv[1])
