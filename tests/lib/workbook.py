#!/usr/bin/env python3
"""A township clerk, for the tests: fills a monthly workbook (填报表).

usage: workbook.py fill TEMPLATE.xlsx REPORT.xml OUT.xlsx [--plain]
       workbook.py fill-many LIST.tsv       (TEMPLATE, REPORT, OUT[, REVISION] a line)
       workbook.py build REPORT.xml OUT.xlsx [--date1904] [--plain]
       workbook.py edit IN.xlsx OUT.xlsx OP...     (see edit())
       workbook.py get IN.xlsx SHEET!B7...         (one value per line)

fill   puts the content of a format-1 report into a workbook made by
       `bizenv template`: it finds every form item by its label (column A)
       and every list column by its header, as a person would, overwrites
       what the template pre-filled, and writes the cells straight into the
       sheet XML (inline strings, numbers, date serials in the template's
       own date-formatted cells). The identity cells (code, month,
       revision) are left as the template made them.
build  makes such a workbook from nothing (no database, no template): the
       same sheets, labels, headers and hidden `bizenv` sheet, written as a
       bare minimum of OOXML parts. For the fuzz seeds, the hostile corpus
       and the benchmark. --date1904 writes serials of the 1904 system;
       --plain writes every value as a plain string or number (no variety).

The values are written in the ways a clerk (or Excel) writes them, varied
on purpose so that each reading path is exercised: dates as serials and
now and then as text ("2026/10/9", "2026年10月9日"), counts as numbers,
approximate ones as "120余", rates as numbers, walks naming their leader
and window by title and name when those are unique (by id otherwise).
Standard library only.
"""

import datetime
import io
import re
import sys
import xml.etree.ElementTree as ET
import zipfile

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RNS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PNS = "http://schemas.openxmlformats.org/package/2006/relationships"
SUB = "{urn:bizenv:submission:1}"
ET.register_namespace("", NS)
ET.register_namespace("r", RNS)

MARKER = "bizenv-填报表"
VERSION = "1"

# The layout of transform/wblayout.c, as a person reads it off the sheets.
FORMS = {
    "基本情况": ["乡镇代码", "乡镇名称", "报送月份", "版本号", "填报日期", "联系人（科室或姓名）",
             "联系电话"],
    "一站式服务": ["服务站点总数（便民服务中心和村委会）", "其中设惠企政策“一站式”服务窗口的站点数",
              "提供助企惠企政策咨询服务（人）", "为企业提供用工信息（个）", "开展招聘活动（次）",
              "承接县级下达事项（项）"],
    "好差评": ["政务服务事项办件量（件）", "办事群众主动评价件数（件）", "自报主动评价率（%）"],
    "惠企活动": ["市场主体调研座谈会（次）", "“三进市场主体”活动走访商户（户）", "走访企业（家）"],
    "监督检查": ["“营商环境护航”督查检查（次）", "警示教育（场次）", "破坏营商环境违法违规行为（起）",
             "受理营商环境投诉举报（件）", "其中已办结（件）"],
}
LISTS = {
    "服务窗口": ["窗口编号", "窗口名称"],
    "班子成员": ["成员编号", "职务（不填姓名）", "类别"],
    "走流程": ["日期", "领导", "窗口", "发现的问题编号"],
    "问题整改": ["问题编号", "来源", "发现日期", "整改状态", "整改完成日期", "整改期限", "问题描述"],
    "长效机制及建议": ["类别", "内容"],
}
SHEETS = ["填报说明", "基本情况", "一站式服务", "服务窗口", "班子成员", "走流程", "好差评", "问题整改",
          "惠企活动", "监督检查", "长效机制及建议", "bizenv"]
META = ["模板格式", "格式版本", "乡镇代码", "报送月份", "版本号", "预填来源 SHA-256", "预填来源月份"]
ROLES = {"principal": "主要领导", "deputy": "分管领导"}
SOURCES = {"walk": "走流程", "supervision": "监督检查", "complaint": "投诉举报", "other": "其他"}
STATUSES = {"open": "未整改", "rectifying": "整改中", "rectified": "已整改"}
TEXTS = [("mechanisms", "document", "长效机制"), ("difficulties", "item", "困难和问题"),
         ("nextSteps", "item", "下步工作重点"), ("suggestions", "item", "意见建议")]


# ---- the report ----------------------------------------------------------

def parse_report(data):
    """A format-1 document as a dict of plain values."""
    root = ET.fromstring(data)

    def g(path):
        return root.find("/".join(SUB + p for p in path.split("/")))

    t = g("township")
    c = g("contact")
    one = g("oneStop")
    r = {
        "code": t.get("code"), "name": t.get("name"),
        "period": g("period").text.strip(), "revision": g("revision").text.strip(),
        "submitted": g("submittedAt").text.strip(),
        "contact": c.get("name"), "phone": c.get("phone"),
        "sites": one.find(SUB + "sites").attrib,
        "counts": {}, "approx": {},
        "evaluation": g("evaluation").attrib,
        "engagement": g("engagement").attrib, "discipline": g("discipline").attrib,
        "complaints": g("complaints").attrib if g("complaints") is not None else None,
        "countyItems": g("countyItems").text.strip(),
    }
    for k in ("consultations", "jobPostings", "recruitmentEvents"):
        e = one.find(SUB + k)
        r["counts"][k] = e.text.strip()
        r["approx"][k] = e.get("approx") in ("true", "1")
    r["windows"] = [(w.get("id"), w.text or "") for w in g("windows")]
    r["leaders"] = [(l.get("id"), l.get("role"), l.text or "") for l in g("leaders")]
    r["walks"] = [dict(w.attrib) for w in g("walks")]
    r["problems"] = [(dict(p.attrib), p.text or "") for p in g("problems")]
    r["texts"] = []
    for group, item, label in TEXTS:
        for e in g(group).findall(SUB + item):
            r["texts"].append((label, e.text or ""))
    return r


def serial(day, seconds=0, date1904=False):
    base = datetime.date(1904, 1, 1) if date1904 else datetime.date(1899, 12, 30)
    return (day - base).days + seconds / 86400.0


def parse_date(s):
    return datetime.date(int(s[:4]), int(s[5:7]), int(s[8:10]))


# ---- cells -----------------------------------------------------------------

def col_letters(c):
    s = ""
    while c:
        c, r = divmod(c - 1, 26)
        s = chr(65 + r) + s
    return s


def ref_col(ref):
    n = 0
    for ch in re.match(r"[A-Z]+", ref).group(0):
        n = n * 26 + ord(ch) - 64
    return n


def excel_escape(s):
    # carriage returns survive XML only as _x000D_ (OOXML's own escape)
    return s.replace("_x", "_x005F_x").replace("\r", "_x000D_")


class Sheet:
    """One worksheet's XML, edited in place."""

    def __init__(self, xml, book):
        self.tree = ET.ElementTree(ET.fromstring(xml))
        self.root = self.tree.getroot()
        self.data = self.root.find("{%s}sheetData" % NS)
        self.book = book
        self.sst = book.sst
        self.col_style = {}
        cols = self.root.find("{%s}cols" % NS)
        if cols is not None:
            for c in cols:
                for i in range(int(c.get("min")), int(c.get("max")) + 1):
                    if c.get("style"):
                        self.col_style[i] = c.get("style")

    def rows(self):
        return {int(r.get("r")): r for r in self.data.findall("{%s}row" % NS)}

    def value(self, row, col):
        r = self.rows().get(row)
        if r is None:
            return None
        for c in r.findall("{%s}c" % NS):
            if ref_col(c.get("r")) == col:
                t = c.get("t")
                if t == "s":
                    return self.sst[int(c.find("{%s}v" % NS).text)]
                if t == "inlineStr":
                    return "".join(x.text or "" for x in c.iter("{%s}t" % NS))
                v = c.find("{%s}v" % NS)
                return v.text if v is not None else None
        return None

    def cell(self, row, col):
        rows = self.rows()
        r = rows.get(row)
        if r is None:
            r = ET.Element("{%s}row" % NS, {"r": str(row)})
            after = [k for k in rows if k < row]
            idx = list(self.data).index(rows[max(after)]) + 1 if after else 0
            self.data.insert(idx, r)
        ref = "%s%d" % (col_letters(col), row)
        cells = r.findall("{%s}c" % NS)
        for c in cells:
            if c.get("r") == ref:
                return c
        c = ET.Element("{%s}c" % NS, {"r": ref})
        if col in self.col_style:
            c.set("s", self.col_style[col])
        idx = sum(1 for x in cells if ref_col(x.get("r")) < col)
        r.insert(idx, c)
        return c

    def put(self, row, col, v, style=None):
        """v: str (inline string), int/float (number), None (blank)."""
        c = self.cell(row, col)
        for ch in list(c):
            c.remove(ch)
        c.attrib.pop("t", None)
        if style is not None:
            c.set("s", style)
        if v is None:
            return
        if isinstance(v, str):
            # as Excel writes them, shared; now and then inline, as other
            # writers do, so that both are read
            self.book.nstrings += 1
            if self.book.nstrings % 7 == 3:
                c.set("t", "inlineStr")
                is_ = ET.SubElement(c, "{%s}is" % NS)
                t = ET.SubElement(is_, "{%s}t" % NS)
                t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
                t.text = excel_escape(v)
            else:
                c.set("t", "s")
                ET.SubElement(c, "{%s}v" % NS).text = str(self.book.shared(v))
        else:
            ET.SubElement(c, "{%s}v" % NS).text = repr(float(v)) if isinstance(v, float) else str(v)

    def clear_from(self, row):
        for r in list(self.data.findall("{%s}row" % NS)):
            if int(r.get("r")) >= row:
                self.data.remove(r)

    def find_label(self, label, col=1, upto=60):
        for row in range(1, upto):
            if self.value(row, col) == label:
                return row
        raise SystemExit("workbook.py: label %r not found" % label)

    def find_header(self, label):
        for col in range(1, 20):
            if self.value(1, col) == label:
                return col
        raise SystemExit("workbook.py: header %r not found" % label)

    def xml(self):
        out = io.BytesIO()
        self.tree.write(out, encoding="UTF-8", xml_declaration=True)
        return out.getvalue()


class Book:
    def __init__(self, data):
        self.z = zipfile.ZipFile(io.BytesIO(data))
        self.parts = {i.filename: self.z.read(i) for i in self.z.infolist()}
        self.order = [i.filename for i in self.z.infolist()]
        wb = ET.fromstring(self.parts["xl/workbook.xml"])
        rels = ET.fromstring(self.parts["xl/_rels/workbook.xml.rels"])
        target = {r.get("Id"): r.get("Target") for r in rels}
        pr = wb.find("{%s}workbookPr" % NS)
        self.date1904 = pr is not None and pr.get("date1904") in ("1", "true")
        self.sst = []
        self.nstrings = 0
        self.sst_added = False
        if "xl/sharedStrings.xml" in self.parts:
            for si in ET.fromstring(self.parts["xl/sharedStrings.xml"]):
                self.sst.append("".join(t.text or "" for t in si.iter("{%s}t" % NS)))
        self.sst_index = {}
        for i, v in enumerate(self.sst):
            self.sst_index.setdefault(v, i)
        self.sheet_part = {}
        for s in wb.find("{%s}sheets" % NS):
            t = target[s.get("{%s}id" % RNS)].lstrip("/")
            self.sheet_part[s.get("name")] = t if t.startswith("xl/") else "xl/" + t
        self.sheets = {}
        self.date_style = self._date_style()

    def _date_style(self):
        """The index of a cellXfs entry with a date format (the template's)."""
        st = ET.fromstring(self.parts["xl/styles.xml"])
        xfs = st.find("{%s}cellXfs" % NS)
        fmts = {f.get("numFmtId"): f.get("formatCode") for f in
                (st.find("{%s}numFmts" % NS) or [])}
        for i, xf in enumerate(xfs):
            code = fmts.get(xf.get("numFmtId"), "")
            if xf.get("numFmtId") == "14" or "yy" in code.lower():
                return str(i)
        return None

    def sheet(self, name):
        if name not in self.sheets:
            self.sheets[name] = Sheet(self.parts[self.sheet_part[name]], self)
        return self.sheets[name]

    def shared(self, v):
        """The index of string v in the shared strings, added when new."""
        if v not in self.sst_index:
            self.sst_index[v] = len(self.sst)
            self.sst.append(v)
            self.sst_added = True
        return self.sst_index[v]

    def _write_sst(self):
        root = ET.Element("{%s}sst" % NS, {"count": str(len(self.sst)),
                                            "uniqueCount": str(len(self.sst))})
        for v in self.sst:
            t = ET.SubElement(ET.SubElement(root, "{%s}si" % NS), "{%s}t" % NS)
            t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            t.text = excel_escape(v)
        out = io.BytesIO()
        ET.ElementTree(root).write(out, encoding="UTF-8", xml_declaration=True)
        if "xl/sharedStrings.xml" not in self.parts:
            self.order.append("xl/sharedStrings.xml")
            rels = self.parts["xl/_rels/workbook.xml.rels"]
            self.parts["xl/_rels/workbook.xml.rels"] = rels.replace(
                b"</Relationships>", b'<Relationship Id="rIdSST" Type="%s/sharedStrings" '
                b'Target="sharedStrings.xml"/></Relationships>' % RNS.encode())
            ct = self.parts["[Content_Types].xml"]
            self.parts["[Content_Types].xml"] = ct.replace(
                b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="'
                b'application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"'
                b'/></Types>')
        self.parts["xl/sharedStrings.xml"] = out.getvalue()

    def bytes(self):
        for name, sh in self.sheets.items():
            self.parts[self.sheet_part[name]] = sh.xml()
        if self.sst_added:
            self._write_sst()
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for name in self.order:
                zi = zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0))
                zi.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(zi, self.parts[name])
        return out.getvalue()


# ---- filling -----------------------------------------------------------------

def fill_book(book, rep, plain=False):
    d1904 = book.date1904
    ds = book.date_style

    def date_cell(sh, row, col, s, k):
        if s is None:
            sh.put(row, col, None)
        elif plain or k % 3:
            sh.put(row, col, serial(parse_date(s), 0, d1904), ds)
        elif k % 6 == 0:
            d = parse_date(s)
            sh.put(row, col, "%d/%d/%d" % (d.year, d.month, d.day))
        else:
            d = parse_date(s)
            sh.put(row, col, "%d年%d月%d日" % (d.year, d.month, d.day))

    def form(sheet, label, v, style=None):
        sh = book.sheet(sheet)
        sh.put(sh.find_label(label), 2, v, style)

    def count(v):
        return int(v)

    # 基本情况 (identity cells stay as the template made them)
    m = re.match(r"(\d{4}-\d\d-\d\d)T(\d\d):(\d\d):(\d\d)\+08:00$", rep["submitted"])
    if m and not plain:
        secs = int(m.group(2)) * 3600 + int(m.group(3)) * 60 + int(m.group(4))
        form("基本情况", "填报日期", serial(parse_date(m.group(1)), secs, d1904), ds)
    else:
        form("基本情况", "填报日期", rep["submitted"])
    form("基本情况", "乡镇名称", rep["name"])
    form("基本情况", "联系人（科室或姓名）", rep["contact"])
    form("基本情况", "联系电话", rep["phone"])
    # 一站式服务
    labels = FORMS["一站式服务"]
    form("一站式服务", labels[0], count(rep["sites"]["total"]))
    form("一站式服务", labels[1], count(rep["sites"]["withWindow"]))
    for label, k in zip(labels[2:5], ("consultations", "jobPostings", "recruitmentEvents")):
        v = rep["counts"][k]
        form("一站式服务", label, v + "余" if rep["approx"][k] else count(v))
    form("一站式服务", labels[5], count(rep["countyItems"]))
    ev = rep["evaluation"]
    form("好差评", FORMS["好差评"][0], count(ev["handled"]))
    form("好差评", FORMS["好差评"][1], count(ev["evaluated"]))
    rate = ev.get("reportedRate")
    form("好差评", FORMS["好差评"][2], None if rate is None else
         (int(rate) if re.fullmatch(r"\d+", rate) else float(rate)))
    for label, k in zip(FORMS["惠企活动"], ("symposia", "merchantsVisited", "enterprisesVisited")):
        form("惠企活动", label, count(rep["engagement"][k]))
    for label, k in zip(FORMS["监督检查"], ("inspections", "warningSessions", "violations")):
        form("监督检查", label, count(rep["discipline"][k]))
    c = rep["complaints"]
    form("监督检查", FORMS["监督检查"][3], None if c is None else count(c["received"]))
    form("监督检查", FORMS["监督检查"][4], None if c is None else count(c["resolved"]))

    # lists: what the template pre-filled is replaced
    def lst(name):
        sh = book.sheet(name)
        sh.clear_from(2)
        return sh, {h: sh.find_header(h) for h in LISTS[name]}

    sh, col = lst("服务窗口")
    for i, (wid, name) in enumerate(rep["windows"]):
        sh.put(2 + i, col["窗口编号"], wid)
        sh.put(2 + i, col["窗口名称"], name)
    sh, col = lst("班子成员")
    for i, (lid, role, title) in enumerate(rep["leaders"]):
        sh.put(2 + i, col["成员编号"], lid)
        sh.put(2 + i, col["职务（不填姓名）"], title)
        sh.put(2 + i, col["类别"], ROLES[role])
    wname = {i: n for i, n in rep["windows"]}
    lname = {i: t for i, _, t in rep["leaders"]}

    def by_name(names, ident):
        n = names.get(ident)
        unique = n is not None and sum(1 for v in names.values() if v.strip() == n.strip()) == 1
        return n if unique and n.strip() and not plain else ident

    sh, col = lst("走流程")
    for i, w in enumerate(rep["walks"]):
        date_cell(sh, 2 + i, col["日期"], w["date"], i)
        sh.put(2 + i, col["领导"], by_name(lname, w["leader"]))
        sh.put(2 + i, col["窗口"], by_name(wname, w["window"]))
        probs = w.get("problems")
        if probs:
            sh.put(2 + i, col["发现的问题编号"], probs if plain or i % 2 else
                   "、".join(probs.split()))
    sh, col = lst("问题整改")
    for i, (p, text) in enumerate(rep["problems"]):
        sh.put(2 + i, col["问题编号"], p["id"])
        sh.put(2 + i, col["来源"], SOURCES[p["source"]])
        date_cell(sh, 2 + i, col["发现日期"], p["found"], i)
        sh.put(2 + i, col["整改状态"], STATUSES[p["status"]])
        date_cell(sh, 2 + i, col["整改完成日期"], p.get("rectified"), i + 1)
        date_cell(sh, 2 + i, col["整改期限"], p.get("deadline"), i + 2)
        sh.put(2 + i, col["问题描述"], text)
    sh, col = lst("长效机制及建议")
    for i, (label, text) in enumerate(rep["texts"]):
        sh.put(2 + i, col["类别"], label)
        sh.put(2 + i, col["内容"], text)


def fill(template, report, plain=False, revision=None):
    """revision: also set the revision (the identity sheet and 基本情况),
    as a correction template made by the county would carry it."""
    book = Book(template)
    fill_book(book, parse_report(report), plain)
    if revision is not None:
        book.sheet("bizenv").put(5, 2, str(revision))
        sh = book.sheet("基本情况")
        sh.put(sh.find_label("版本号"), 2, str(revision))
    return book.bytes()


# ---- building from nothing ------------------------------------------------------

def skeleton(rep, date1904=False):
    """The bare parts of a bizenv workbook for report rep: sheets, labels,
    headers, the hidden sheet; values are filled by fill_book."""
    def cells(rows):
        out = []
        for r, vals in rows:
            cs = "".join('<c r="%s%d" t="inlineStr"><is><t>%s</t></is></c>'
                         % (col_letters(i + 1), r, esc(v)) for i, v in enumerate(vals)
                         if v is not None)
            out.append('<row r="%d">%s</row>' % (r, cs))
        return "".join(out)

    def esc(v):
        return v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    sheets = {}
    sheets["填报说明"] = cells([(1, ["测试用填报表"])])
    period = rep["period"]
    base = {"乡镇代码": rep["code"], "乡镇名称": rep["name"], "报送月份": period,
            "版本号": rep["revision"]}
    for name, labels in FORMS.items():
        rows = [(1, ["项目", "填报内容", "说明"])]
        rows += [(2 + i, [lab, base.get(lab) if name == "基本情况" else None])
                 for i, lab in enumerate(labels)]
        sheets[name] = cells(rows)
    for name, heads in LISTS.items():
        sheets[name] = cells([(1, heads)])
    meta = [MARKER, VERSION, rep["code"], period, rep["revision"], "", ""]
    sheets["bizenv"] = cells([(i + 1, [META[i], meta[i]]) for i in range(len(META))])
    out = io.BytesIO()
    z = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED)

    def put(name, text):
        zi = zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0))
        zi.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(zi, text.encode("utf-8"))

    decl = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    overrides = "".join(
        '<Override PartName="/xl/worksheets/sheet%d.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' % (i + 1)
        for i in range(len(SHEETS)))
    put("[Content_Types].xml", decl +
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.styles+xml"/>' + overrides + '</Types>')
    put("_rels/.rels", decl + '<Relationships xmlns="%s"><Relationship Id="rId1" Type="%s/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>' % (PNS, RNS))
    rels = "".join('<Relationship Id="rId%d" Type="%s/worksheet" Target="worksheets/sheet%d.xml"/>'
                   % (i + 1, RNS, i + 1) for i in range(len(SHEETS)))
    rels += '<Relationship Id="rIdS" Type="%s/styles" Target="styles.xml"/>' % RNS
    put("xl/_rels/workbook.xml.rels", decl + '<Relationships xmlns="%s">%s</Relationships>'
        % (PNS, rels))
    sheet_list = "".join('<sheet name="%s" sheetId="%d" r:id="rId%d"%s/>'
                         % (n, i + 1, i + 1, ' state="hidden"' if n == "bizenv" else "")
                         for i, n in enumerate(SHEETS))
    put("xl/workbook.xml", decl + '<workbook xmlns="%s" xmlns:r="%s"><workbookPr%s/>'
        '<sheets>%s</sheets></workbook>' % (NS, RNS, ' date1904="1"' if date1904 else "",
                                            sheet_list))
    put("xl/styles.xml", decl + '<styleSheet xmlns="%s"><numFmts count="1"><numFmt numFmtId="164" '
        'formatCode="yyyy\\-mm\\-dd"/></numFmts><fonts count="1"><font/></fonts><fills count="1">'
        '<fill/></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf/>'
        '</cellStyleXfs><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="164" '
        'applyNumberFormat="1"/><xf numFmtId="49" applyNumberFormat="1"/></cellXfs>'
        '</styleSheet>' % NS)
    for i, n in enumerate(SHEETS):
        put("xl/worksheets/sheet%d.xml" % (i + 1), decl +
            '<worksheet xmlns="%s"><sheetData>%s</sheetData></worksheet>' % (NS, sheets[n]))
    z.close()
    return out.getvalue()


def build(report, date1904=False, plain=False):
    rep = parse_report(report)
    book = Book(skeleton(rep, date1904))
    fill_book(book, rep, plain)
    return book.bytes()


# ---- edits, for tests of one cell ------------------------------------------------

def edit(data, ops):
    """ops: "SHEET!B7=n:31" (number), "=s:text" (string), "=d:2026-10-09" (date
    serial, date style), "=v:60" (a raw serial, date style), "=b:1", "=e:#N/A"
    (error value), "=f:" (formula without a cached value), "=x:" (blank);
    "rename:OLD=NEW" renames a sheet, "drop:NAME" removes it from the book,
    "meta:ROW=TEXT" sets a value of the hidden sheet."""
    book = Book(data)
    wbxml = None
    for op in ops:
        if op.startswith("rename:") or op.startswith("drop:"):
            wbxml = ET.fromstring(book.parts["xl/workbook.xml"]) if wbxml is None else wbxml
            sheets = wbxml.find("{%s}sheets" % NS)
            if op.startswith("rename:"):
                old, new = op[7:].split("=", 1)
                for sh in sheets:
                    if sh.get("name") == old:
                        sh.set("name", new)
            else:
                for sh in list(sheets):
                    if sh.get("name") == op[5:]:
                        sheets.remove(sh)
            continue
        if op.startswith("meta:"):
            row, v = op[5:].split("=", 1)
            book.sheet("bizenv").put(int(row), 2, v)
            continue
        target, v = op.split("=", 1)
        sheet, ref = target.split("!")
        kind, v = v.split(":", 1)
        row, col = int(re.search(r"\d+", ref).group(0)), ref_col(ref)
        sh = book.sheet(sheet)
        if kind == "n":
            sh.put(row, col, float(v) if "." in v else int(v))
        elif kind == "s":
            sh.put(row, col, v)
        elif kind == "d":
            sh.put(row, col, serial(parse_date(v), 0, book.date1904), book.date_style)
        elif kind == "v":
            sh.put(row, col, float(v) if "." in v else int(v), book.date_style)
        elif kind == "x":
            sh.put(row, col, None)
        else:
            c = sh.cell(row, col)
            for ch in list(c):
                c.remove(ch)
            c.set("t", {"b": "b", "e": "e", "f": "str"}[kind])
            if kind == "f":
                ET.SubElement(c, "{%s}f" % NS).text = "A1*2"
            else:
                ET.SubElement(c, "{%s}v" % NS).text = v
    if wbxml is not None:
        out = io.BytesIO()
        ET.ElementTree(wbxml).write(out, encoding="UTF-8", xml_declaration=True)
        book.parts["xl/workbook.xml"] = out.getvalue()
    return book.bytes()


def get(data, refs):
    book = Book(data)
    out = []
    for target in refs:
        sheet, ref = target.split("!")
        row, col = int(re.search(r"\d+", ref).group(0)), ref_col(ref)
        v = book.sheet(sheet).value(row, col)
        out.append("" if v is None else v)
    return out


def main(argv):
    if len(argv) >= 4 and argv[0] == "fill":
        data = fill(open(argv[1], "rb").read(), open(argv[2], "rb").read(), "--plain" in argv)
        open(argv[3], "wb").write(data)
        return 0
    if len(argv) >= 3 and argv[0] == "build":
        data = build(open(argv[1], "rb").read(), "--date1904" in argv, "--plain" in argv)
        open(argv[2], "wb").write(data)
        return 0
    if len(argv) == 2 and argv[0] == "fill-many":
        # lines: TEMPLATE<TAB>REPORT<TAB>OUT[<TAB>REVISION]; one process for many
        for line in open(argv[1], encoding="utf-8"):
            f = line.rstrip("\n").split("\t")
            data = fill(open(f[0], "rb").read(), open(f[1], "rb").read(),
                        revision=f[3] if len(f) > 3 and f[3] else None)
            open(f[2], "wb").write(data)
        return 0
    if len(argv) >= 3 and argv[0] == "edit":
        data = edit(open(argv[1], "rb").read(), argv[3:])
        open(argv[2], "wb").write(data)
        return 0
    if len(argv) >= 3 and argv[0] == "get":
        for v in get(open(argv[1], "rb").read(), argv[2:]):
            print(v)
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
