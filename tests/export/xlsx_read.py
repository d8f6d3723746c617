#!/usr/bin/env python3
"""Reads an .xlsx with the standard library only (zipfile + xml.etree), for
the export tests.

  xlsx_read.py check FILE          every part is well-formed XML; prints
                                   'sheets <names>', 'chart <ranges>',
                                   'frozen <sheet> <ySplit>' lines
  xlsx_read.py cells FILE SHEET    one line per row, cells tab-separated
                                   (strings resolved, numbers as stored,
                                   empty cells empty)
  xlsx_read.py formats FILE SHEET  like cells, but each cell is its number
                                   format code ('-' = none) and a '+fill'
                                   suffix when it has a solid fill
  xlsx_read.py print FILE          the print set-up, one line per sheet, tab-
                                   separated: name, kind (worksheet or
                                   chartsheet), orientation, paper size,
                                   fit (WxH pages, 0 = as many as needed;
                                   '-' = not fitted), print titles, footer
"""
import re
import sys
import signal
import zipfile
import xml.etree.ElementTree as ET

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
      "c": "http://schemas.openxmlformats.org/drawingml/2006/chart"}
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
BUILTIN = {0: "-", 9: "0%", 10: "0.00%"}


def parse_all(z):
    parts = {}
    for name in z.namelist():
        if name.endswith(".xml") or name.endswith(".rels"):
            parts[name] = ET.fromstring(z.read(name))  # raises on malformed XML
    return parts


def sheet_path(parts, title):
    wb = parts["xl/workbook.xml"]
    rels = parts["xl/_rels/workbook.xml.rels"]
    targets = {r.get("Id"): r.get("Target") for r in rels}
    for s in wb.find("m:sheets", NS):
        if s.get("name") == title:
            return "xl/" + targets[s.get(REL)]
    raise SystemExit("no sheet " + title)


def col_index(ref):
    letters = re.match(r"[A-Z]+", ref).group(0)
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def rows(parts, title, cell_fn):
    out = []
    for row in parts[sheet_path(parts, title)].find("m:sheetData", NS):
        vals = []
        for c in row:
            i = col_index(c.get("r"))
            while len(vals) < i:
                vals.append("")
            vals.append(cell_fn(c))
        out.append(vals)
    width = max(len(r) for r in out)
    return [r + [""] * (width - len(r)) for r in out]


def print_setup(parts):
    wb = parts["xl/workbook.xml"]
    sheets = list(wb.find("m:sheets", NS))
    titles = {}
    dn = wb.find("m:definedNames", NS)
    for d in (dn if dn is not None else []):
        if d.get("name") == "_xlnm.Print_Titles":
            titles[int(d.get("localSheetId"))] = d.text
    for i, s in enumerate(sheets):
        path = sheet_path(parts, s.get("name"))
        root = parts[path]
        kind = "chartsheet" if "/chartsheets/" in path else "worksheet"
        ps = root.find("m:pageSetup", NS)
        ps = ps if ps is not None else ET.Element("pageSetup")
        pr = root.find("m:sheetPr/m:pageSetUpPr", NS)
        fitted = pr is not None and pr.get("fitToPage") == "1"
        fit = "%sx%s" % (ps.get("fitToWidth", "1"), ps.get("fitToHeight", "1")) if fitted else "-"
        if kind == "chartsheet":
            fit = "page"  # a chart sheet prints on one page
        foot = root.find("m:headerFooter/m:oddFooter", NS)
        print("\t".join([s.get("name"), kind, ps.get("orientation", "portrait"),
                         ps.get("paperSize", "1"), fit, titles.get(i, "-"),
                         foot.text if foot is not None else "-"]))


def main():
    # a reader piped into head(1) stops quietly when head has enough
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    cmd, path = sys.argv[1], sys.argv[2]
    z = zipfile.ZipFile(path)
    if z.testzip() is not None:
        raise SystemExit("bad CRC")
    parts = parse_all(z)
    if cmd == "print":
        print_setup(parts)
        return
    if cmd == "check":
        names = [s.get("name") for s in parts["xl/workbook.xml"].find("m:sheets", NS)]
        print("sheets " + " ".join(names))
        for name in sorted(parts):
            if name.startswith("xl/charts/chart"):
                kind = [e.tag.split("}")[1] for e in parts[name].iter() if e.tag.endswith("Chart")]
                refs = [f.text for f in parts[name].iter("{%s}f" % NS["c"])]
                print("chart %s %s %s" % (name, ",".join(kind), " ".join(refs)))
        for t in names:
            pane = parts[sheet_path(parts, t)].find("m:sheetViews/m:sheetView/m:pane", NS)
            if pane is not None and pane.get("state") == "frozen":
                print("frozen %s %s" % (t, pane.get("ySplit")))
        return
    strings = []
    if "xl/sharedStrings.xml" in parts:
        for si in parts["xl/sharedStrings.xml"]:
            strings.append("".join(t.text or "" for t in si.iter("{%s}t" % NS["m"])))
    styles = parts["xl/styles.xml"]
    fmts = dict(BUILTIN)
    nf = styles.find("m:numFmts", NS)
    for f in (nf if nf is not None else []):
        fmts[int(f.get("numFmtId"))] = f.get("formatCode")
    fills = [f.find("m:patternFill", NS).get("patternType") for f in styles.find("m:fills", NS)]
    xfs = list(styles.find("m:cellXfs", NS))

    def value(c):
        v = c.find("m:v", NS)
        if v is None:
            return ""
        return strings[int(v.text)] if c.get("t") == "s" else v.text

    def fmt(c):
        xf = xfs[int(c.get("s", "0"))]
        code = fmts.get(int(xf.get("numFmtId", "0")), "?")
        return code + ("+fill" if fills[int(xf.get("fillId", "0"))] == "solid" else "")

    fn = value if cmd == "cells" else fmt
    for r in rows(parts, sys.argv[3], fn):
        print("\t".join(x.replace("\n", "\\n") for x in r))


main()
