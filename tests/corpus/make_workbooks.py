#!/usr/bin/env python3
"""Generates the hostile-workbook corpus: one .xlsx (or package) per way a
monthly workbook can be malformed or malicious, each with the code its
receipt must show first.

usage: make_workbooks.py OUTDIR

OUTDIR/<case>         the files (each small on disk; bombs expand)
OUTDIR/manifest.tsv   `case<TAB>expected`: the first error code, or `ok`
OUTDIR/accepted.txt   `township/period` of every report that must be loaded

Every case starts from a valid workbook (tests/lib/workbook.py build) of
the normative example moved to a township and month of its own, so that a
rejected case can never hide behind an accepted one. Standard library only.
"""

import io
import os
import re
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(TOP, "tests", "lib"))
import make_corpus  # noqa: E402
import make_night  # noqa: E402
import workbook  # noqa: E402

NS = workbook.NS


def base(key=None):
    """A valid workbook (bytes) of the example for its own township/month."""
    return workbook.build(make_night.report(key).encode("utf-8"))


def entries(data):
    z = zipfile.ZipFile(io.BytesIO(data))
    return [(i.filename, z.read(i)) for i in z.infolist()]


def rezip(items):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items:
            zi = zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, data)
    return out.getvalue()


def change(data, name, fn):
    """The workbook with part `name` replaced by fn(old bytes)."""
    return rezip([(n, fn(d) if n == name else d) for n, d in entries(data)])


def add(data, *parts):
    return rezip(entries(data) + list(parts))


def sheet_part(data, sheet):
    items = dict(entries(data))
    wb = items["xl/workbook.xml"].decode()
    rid = re.search(r'<sheet name="%s" sheetId="\d+" r:id="(\w+)"' % re.escape(sheet), wb).group(1)
    rels = items["xl/_rels/workbook.xml.rels"].decode()
    return "xl/" + re.search(r'Id="%s"[^>]*Target="([^"]+)"' % rid, rels).group(1)


def in_sheet(data, sheet, fn):
    return change(data, sheet_part(data, sheet), lambda b: fn(b.decode()).encode())


def cell_xml(data, sheet, ref, xml):
    """Replaces the <c> of ref (which the base writes) by xml."""
    def fn(s):
        return re.sub(r'<c r="%s"[^>]*?(/>|>.*?</c>)' % ref, xml, s, count=1)
    return in_sheet(data, sheet, fn)


def low_zip(items, tweak):
    """Through make_corpus's hand-made zip writer, so flags and CRCs can lie;
    tweak(name, entry) may change the entry."""
    es = []
    for name, data in items:
        e = make_corpus.Entry(name, data)
        tweak(name, e)
        es.append(e)
    return make_corpus.make_zip(es)


DOCTYPE = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'


def cases():
    c = {}
    # zip level, inside the workbook
    c["wb_ratio_bomb.xlsx"] = (add(base(), ("xl/media/image1.png", bytes(50 << 20))),
                               "E_LIMIT_RATIO")
    c["wb_name_dotdot.xlsx"] = (add(base(), ("../../evil.xml", b"<x/>")), "E_ZIP_ENTRY_NAME")
    c["wb_duplicate_part.xlsx"] = (add(base(), ("XL/Styles.XML", b"<x/>")),
                                   "E_ZIP_DUPLICATE_NAME")
    c["wb_many_entries.xlsx"] = (add(base(), *[("xl/media/f%04d.bin" % i, b"") for i in range(2000)]),
                                 "E_LIMIT_ENTRIES")
    good = base()
    c["wb_truncated.xlsx"] = (good[: len(good) * 2 // 3], "E_ZIP_CORRUPT")

    def crc(name, e):
        if name == "xl/styles.xml":
            e.crc ^= 0xFFFF

    c["wb_bad_crc.xlsx"] = (low_zip(entries(base()), crc), "E_ZIP_CRC")

    def enc(name, e):
        if name == "xl/workbook.xml":
            e.flags |= make_corpus.FLAG_ENCRYPTED

    c["wb_encrypted_part.xlsx"] = (low_zip(entries(base()), enc), "E_ZIP_ENCRYPTED")
    link = entries(base()) + [("xl/media/link", b"/etc/passwd")]

    def symlink(name, e):
        if name == "xl/media/link":
            e.external_attr = 0o120777 << 16
            e.create_system = 3

    c["wb_symlink.xlsx"] = (low_zip(link, symlink), "E_ZIP_ENTRY_TYPE")

    # macros
    c["wb_vba_project.xlsx"] = (add(base(), ("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 vba")),
                                "E_WB_MACRO")
    c["wb_xlsm_content_type.xlsx"] = (change(base(), "[Content_Types].xml", lambda b: b.replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")), "E_WB_MACRO")
    c["wb_macro_sheet.xlsx"] = (add(base(), ("xl/macrosheets/sheet1.xml", b"<xm/>")), "E_WB_MACRO")

    # DOCTYPEs and entities, parsed parts or not
    c["wb_doctype_sheet.xlsx"] = (in_sheet(base(), "走流程", lambda s: re.sub(
        r"^<\?xml[^>]*\?>", lambda _: DOCTYPE, s)), "E_XML_DOCTYPE")
    c["wb_doctype_core_props.xlsx"] = (add(base(), ("docProps/core.xml", (DOCTYPE + "<x>&e;</x>")
                                                    .encode())), "E_XML_DOCTYPE")
    lol = "".join('<!ENTITY l%d "%s">' % (i, "&l%d;" % (i - 1) * 10 if i else "lol")
                  for i in range(10))
    c["wb_billion_laughs.xlsx"] = (change(base(), "xl/workbook.xml", lambda b: b.replace(
        b"<workbook ", ('<!DOCTYPE workbook [%s]><workbook ' % lol).encode(), 1)), "E_XML_DOCTYPE")
    c["wb_entity_in_cell.xlsx"] = (cell_xml(base(), "好差评", "B2",
                                            '<c r="B2" t="inlineStr"><is><t>&amp;&e;</t></is></c>'),
                                   "E_XML_DOCTYPE")

    # cells and caps
    c["wb_shared_string_out_of_range.xlsx"] = (
        cell_xml(base(), "好差评", "B2", '<c r="B2" t="s"><v>999999</v></c>'), "E_WB_SHARED_STRING")
    c["wb_formula_without_value.xlsx"] = (
        cell_xml(base(), "好差评", "B2", '<c r="B2"><f>B3*2</f></c>'), "E_WB_FORMULA")
    c["wb_error_value.xlsx"] = (
        cell_xml(base(), "好差评", "B2", '<c r="B2" t="e"><v>#DIV/0!</v></c>'), "E_WB_CELL")
    c["wb_control_char.xlsx"] = (
        cell_xml(base(), "基本情况", "B7",
                 '<c r="B7" t="inlineStr"><is><t>乡_x0001_党政办</t></is></c>'), "E_WB_CELL")
    c["wb_row_past_cap.xlsx"] = (in_sheet(base(), "走流程", lambda s: s.replace(
        "</sheetData>", '<row r="20000"><c r="A20000"><v>1</v></c></row></sheetData>')),
        "E_WB_LIMIT")
    # 9,999 rows of 21 cells: inside the row cap, past the cell cap
    cols = [chr(65 + i) for i in range(21)]
    many = "".join('<row r="%d">%s</row>' % (r, "".join('<c r="%s%d"><v>1</v></c>' % (col, r)
                                                       for col in cols))
                   for r in range(2, 10001))
    c["wb_million_cells.xlsx"] = (in_sheet(base(), "长效机制及建议", lambda s: s.replace(
        "</sheetData>", many + "</sheetData>")), "E_WB_LIMIT")
    c["wb_absurd_dimension.xlsx"] = (in_sheet(base(), "走流程", lambda s: s.replace(
        "<sheetData>", '<dimension ref="A1:XFD1048576"/><sheetData>', 1)), "E_WB_LIMIT")
    sst = ('<?xml version="1.0"?><sst xmlns="%s">' % NS +
           "<si><t>x</t></si>" * 100001 + "</sst>").encode()
    c["wb_too_many_strings.xlsx"] = (with_sst(base(), sst), "E_WB_LIMIT")
    c["wb_huge_cell_text.xlsx"] = (cell_xml(base(), "基本情况", "B7",
                                            '<c r="B7" t="inlineStr"><is><t>%s</t></is></c>'
                                            % ("长" * 400000)), "E_XML_LIMIT")
    deep = "<x>" * 200 + "</x>" * 200
    c["wb_deep_nesting.xlsx"] = (in_sheet(base(), "走流程", lambda s: s.replace(
        "</sheetData>", '<row r="900"><c r="A900" t="inlineStr"><is>%s</is></c></row>'
        "</sheetData>" % deep)), "E_XML_LIMIT")
    c["wb_bad_sheet_xml.xlsx"] = (in_sheet(base(), "走流程", lambda s: s[: len(s) // 2]),
                                  "E_XML_SYNTAX")
    c["wb_feb29_1900.xlsx"] = (cell_xml(base(), "走流程", "A2", '<c r="A2" s="1"><v>60</v></c>'),
                               "E_DATE_INVALID")

    # structure
    c["wb_not_template.xlsx"] = (workbook.edit(base(), ["drop:bizenv"]), "E_WB_NOT_TEMPLATE")
    c["wb_version_9.xlsx"] = (workbook.edit(base(), ["meta:2=9"]), "E_WB_VERSION")
    c["wb_marker_changed.xlsx"] = (workbook.edit(base(), ["meta:1=别的模板"]), "E_WB_NOT_TEMPLATE")
    c["wb_sheet_renamed.xlsx"] = (workbook.edit(base(), ["rename:问题整改=问题"]), "E_WB_SHEET")
    c["wb_code_changed.xlsx"] = (workbook.edit(base(), ["基本情况!B2=s:539901105"]), "E_WB_MISMATCH")
    c["wb_external_sheet.xlsx"] = (change(base(), "xl/_rels/workbook.xml.rels", lambda b: re.sub(
        rb'Target="worksheets/sheet6.xml"', b'Target="file:///etc/passwd" TargetMode="External"',
        b)), "E_WB_STRUCTURE")
    c["wb_missing_workbook.xlsx"] = (rezip([(n, d) for n, d in entries(base())
                                            if n != "xl/workbook.xml"]), "E_WB_STRUCTURE")
    c["wb_xlsb.xlsx"] = (change(base(), "[Content_Types].xml", lambda b: b.replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.binary.macroEnabled.main")), "E_WB_FORMAT")
    c["wb_ods.xlsx"] = (rezip([("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
                               ("content.xml", b"<office:document-content/>"),
                               ("META-INF/manifest.xml", b"<manifest/>")]), "E_WB_FORMAT")
    c["wb_no_content_types.xlsx"] = (rezip([(n, d) for n, d in entries(base())
                                            if n != "[Content_Types].xml"]), "E_ZIP_NO_XML")

    # never followed, never a problem: external links, DDE, hyperlinks
    ext = add(base(), ("xl/externalLinks/externalLink1.xml",
                       ('<externalLink xmlns="%s"><ddeLink ddeService="cmd" '
                        'ddeTopic="/C calc"/></externalLink>' % NS).encode()),
              ("xl/externalLinks/_rels/externalLink1.xml.rels",
               b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
               b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats'
               b'.org/officeDocument/2006/relationships/externalLinkPath" '
               b'Target="file:///etc/passwd" TargetMode="External"/></Relationships>'))
    ext = cell_xml(ext, "好差评", "B2", '<c r="B2"><f>[1]Sheet1!A1</f><v>31</v></c>')
    c["wb_external_link_dde.xlsx"] = (ext, "ok")
    c["wb_hyperlink.xlsx"] = (in_sheet(base(), "服务窗口", lambda s: s.replace(
        "</sheetData>", '</sheetData><hyperlinks><hyperlink ref="B2" display="x" '
        'location="\'bizenv\'!A1"/></hyperlinks>')), "ok")

    # inside packages and batches: the same checks
    pkg = lambda wb: make_corpus.make_zip([  # noqa: E731
        make_corpus.Entry("填报表.xlsx", wb),
        make_corpus.Entry("attachments/报告.pdf", make_corpus.PDF)])
    c["pkg_wb_macro.zip"] = (pkg(add(base(), ("xl/vbaProject.bin", b"vba"))), "E_WB_MACRO")
    c["pkg_wb_ratio_bomb.zip"] = (pkg(add(base(), ("xl/media/z.bin", bytes(50 << 20)))),
                                  "E_LIMIT_RATIO")
    c["pkg_wb_ok.zip"] = (pkg(base()), "ok")
    c["batch_wb_not_template.zip"] = (make_corpus.make_zip([
        make_corpus.Entry("a.xlsx", workbook.edit(base(), ["drop:bizenv"])),
        make_corpus.Entry("b.zip", pkg(workbook.edit(base(), ["meta:2=9"])))]),
        "E_WB_NOT_TEMPLATE")
    c["wb_old_xls.xls"] = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000), "E_FILE_TYPE")
    return c


def with_sst(data, sst):
    """The workbook with its shared strings replaced by sst."""
    items = entries(data)
    if "xl/sharedStrings.xml" not in dict(items):
        raise SystemExit("make_workbooks.py: the base workbook has no shared strings")
    return rezip([(n, sst if n == "xl/sharedStrings.xml" else d) for n, d in items])


def keys_of(data):
    """township/period of an accepted case's workbooks."""
    out = []
    if data[:2] != b"PK":
        return out
    z = zipfile.ZipFile(io.BytesIO(data))
    names = z.namelist()
    if "[Content_Types].xml" in names:
        v = workbook.get(data, ["bizenv!B3", "bizenv!B4"])
        return ["%s/%s" % (v[0], v[1])]
    for n in names:
        if "/" not in n and (n.endswith(".xlsx") or n.endswith(".zip")):
            out += keys_of(z.read(n))
    return out


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: make_workbooks.py OUTDIR\n")
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    lines, accepted = [], []
    for name, (data, expected) in sorted(cases().items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        lines.append("%s\t%s\n" % (name, expected))
        if expected == "ok":
            accepted += keys_of(data)
    with open(os.path.join(out, "manifest.tsv"), "w") as f:
        f.writelines(lines)
    with open(os.path.join(out, "accepted.txt"), "w") as f:
        f.write("".join("%s\n" % k for k in sorted(accepted)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
