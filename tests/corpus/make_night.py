#!/usr/bin/env python3
"""Generates one hostile night: an inbox for the end-to-end test
tests/e2e/050_hostile_night.t.

usage: make_night.py OUTDIR [--big]

OUTDIR/inbox/      every case of make_corpus.py (transports), rebuilt with
                   real, valid reports, plus the XML-level and value-level
                   cases below, plus good files;
OUTDIR/manifest.tsv  `filename<TAB>expected`: `ok` (every report in it is
                   accepted) or the error code its receipt must show first;
OUTDIR/accepted.txt  `township/period` of every report that must end up in
                   the database, sorted (nothing else may);
OUTDIR/values.tsv  `field<TAB>hex of the UTF-8 value` the hostile-values
                   report must store verbatim.

Each report gets its own township and period, so a rejected file can never
hide behind an accepted one and the database check is a plain set equality.
With --big, a 200 MB bare XML (one text node) is added too. Standard
library only.
"""

import gzip
import io
import os
import re
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_corpus  # noqa: E402

TOP = os.path.dirname(os.path.dirname(HERE))
with open(os.path.join(TOP, "jobs", "demo", "539901101-2026-10.xml"), "rb") as f:
    EXAMPLE = f.read().decode("utf-8")

TOWNSHIPS = ["5399011%02d" % i for i in range(1, 11)]
# 31-day months only: the example's dates run to the 31st
PERIODS = ["%d-%02d" % (y, m) for y in (2024, 2025) for m in (1, 3, 5, 7, 8, 10, 12)] + \
          ["2026-%02d" % m for m in (1, 3, 5, 7, 8, 10)]
# reserved for the hostile-values report
VALUES_KEY = ("539901110", "2026-08")


def combos():
    for p in PERIODS:
        for t in TOWNSHIPS:
            if (t, p) != VALUES_KEY:
                yield t, p


KEYS = combos()


def report(key=None, text=None):
    """The normative example moved to another township and month (str)."""
    t, p = key or next(KEYS)
    s = EXAMPLE.replace("539901101", t).replace("<period>2026-10<", "<period>%s<" % p)
    s = s.replace('"2026-10-', '"%s-' % p)
    return s if text is None else text(s)


def doc():
    return report().encode("utf-8")


def xesc(v, attr=False):
    v = v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if attr:
        v = v.replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;")
    return v


# Every character a careless exporter or query builder trips over.
HOSTILE = ("引号\"双\" '单' 反斜杠\\n\\ 制表\t符 换行\n第二行 '); DROP TABLE facts.submission; -- "
           "\u202e倒序\u202c \u2067隔离\u2069 😀👨\u200d👩\u200d👧 <b>&amp; ,=cmd|' /C calc'!A0")


def values_report():
    v = HOSTILE
    s = report(VALUES_KEY)
    s = s.replace('name="示例乡"', 'name="%s"' % xesc(v, True))
    s = s.replace('<contact name="乡党政办" phone="0878-5550101"/>',
                  '<contact name="%s" phone="%s"/>' % (xesc(v, True), xesc(v, True)))
    s = s.replace('<window id="W12">惠企政策“一站式”服务窗口</window>',
                  '<window id="W12">%s</window>' % xesc(v))
    s = s.replace('<leader id="L10" role="deputy">人大主席团主席</leader>',
                  '<leader id="L10" role="deputy">%s</leader>' % xesc(v))
    s = s.replace('>农业农村窗口惠企资金兑现进度未公示<', '>%s<' % xesc(v))
    s = re.sub(r'<document>《乡复制[^<]*</document>', lambda _: '<document>%s</document>' % xesc(v), s)
    s = re.sub(r'<item>思想上[^<]*</item>', lambda _: '<item>%s</item>' % xesc(v), s)
    s = re.sub(r'<item>加强政策[^<]*</item>', lambda _: '<item>%s</item>' % xesc(v), s)
    s = s.replace('<suggestions/>', '<suggestions><item>%s</item></suggestions>' % xesc(v))
    fields = ["township_name_given", "contact_name", "contact_phone", "window_name",
              "leader_title", "problem_description", "mechanism", "difficulty",
              "next_step", "suggestion"]
    return s.encode("utf-8"), fields


DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'


def after_decl(s, insert):
    i = s.index("?>") + 2
    return s[:i] + "\n" + insert + s[i:]


def xml_cases():
    c = {}
    u = lambda s: s.encode("utf-8")  # noqa: E731
    c["xml_crlf.xml"] = (u(report().replace("\n", "\r\n")), "ok")
    c["xml_schemalocation.xml"] = (u(report().replace(
        'schemaVersion="1">',
        'schemaVersion="1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="urn:bizenv:submission:1 http://evil.example/x.xsd">', 1)), "ok")
    # GBK-only characters (喆, 镕) in a document declared GB2312
    gb = report(text=lambda s: s.replace('encoding="UTF-8"', 'encoding="GB2312"')
                .replace("乡党政办", "喆镕办"))
    c["xml_gb2312_gbk_chars.xml"] = (gb.encode("gbk"), "ok")
    c["xml_gb18030.xml"] = (report(text=lambda s: s.replace('encoding="UTF-8"',
                                                             'encoding="GB18030"'))
                            .encode("gb18030"), "ok")
    c["xml_values.xml"] = (values_report()[0], "ok")

    dt = lambda ins: u(after_decl(report(), ins))  # noqa: E731
    c["xml_doctype.xml"] = (dt("<!DOCTYPE submission>"), "E_XML_DOCTYPE")
    c["xml_xxe_file.xml"] = (u(after_decl(report(), '<!DOCTYPE submission [<!ENTITY x SYSTEM '
                                          '"file:///etc/passwd">]>').replace(
        "<suggestions/>", "<suggestions><item>&x;</item></suggestions>")), "E_XML_DOCTYPE")
    c["xml_xxe_http.xml"] = (u(after_decl(report(), '<!DOCTYPE submission [<!ENTITY x SYSTEM '
                                          '"http://127.0.0.1:9/x">]>').replace(
        "<suggestions/>", "<suggestions><item>&x;</item></suggestions>")), "E_XML_DOCTYPE")
    c["xml_xxe_param.xml"] = (dt('<!DOCTYPE submission [<!ENTITY % p SYSTEM '
                                 '"file:///etc/passwd"> %p;]>'), "E_XML_DOCTYPE")
    lol = ['<!ENTITY lol0 "lol">'] + ['<!ENTITY lol%d "%s">' % (i, ("&lol%d;" % (i - 1)) * 10)
                                      for i in range(1, 10)]
    c["xml_billion_laughs.xml"] = (u(after_decl(report(), "<!DOCTYPE submission [%s]>"
                                                % "".join(lol)).replace(
        "<suggestions/>", "<suggestions><item>&lol9;</item></suggestions>")), "E_XML_DOCTYPE")
    c["xml_quadratic.xml"] = (u(after_decl(report(), '<!DOCTYPE submission [<!ENTITY a "%s">]>'
                                           % ("x" * 20000)).replace(
        "<suggestions/>", "<suggestions><item>%s</item></suggestions>" % ("&a;" * 20000))),
        "E_XML_DOCTYPE")
    c["xml_entity_ref_undeclared.xml"] = (u(report().replace(
        "<suggestions/>", "<suggestions><item>&nbsp;</item></suggestions>")), "E_XML_DOCTYPE")
    c["xml_deep_100k.xml"] = (u(report().replace(
        "<suggestions/>", "<suggestions>" + "<item>" * 100000 + "</item>" * 100000
        + "</suggestions>")), "E_XML_LIMIT")
    c["xml_deep_100k.xml.gz"] = (gzip.compress(u(report().replace(
        "<suggestions/>", "<suggestions>" + "<a>" * 100000 + "</a>" * 100000
        + "</suggestions>")), 9, mtime=0), "E_XML_LIMIT")
    c["xml_invalid_utf8.xml"] = (u(report()).replace("乡党政办".encode(), b"\xc3\x28\xff"),
                                 "E_XML_ENCODING")
    c["xml_overlong_utf8.xml"] = (u(report()).replace("乡党政办".encode(), b"\xc0\xaf"),
                                  "E_XML_ENCODING")
    c["xml_utf8_declared_gbk_bytes.xml"] = (report().encode("gbk"), "E_XML_ENCODING")
    c["xml_nodecl_gbk_bytes.xml"] = (report().replace(DECL, "").encode("gbk"), "E_XML_ENCODING")
    # UTF-16 with a BOM is read (Notepad's "Unicode"); declared UTF-8, or
    # without a BOM, it is not
    c["xml_utf16_bom.xml"] = (report().encode("utf-16"), "E_XML_ENCODING")
    c["xml_utf16_declared.xml"] = (report().replace('encoding="UTF-8"', 'encoding="UTF-16"')
                                   .encode("utf-16"), "ok")
    c["xml_utf16be_declared.xml"] = (("\ufeff" + report().replace('encoding="UTF-8"',
                                                                   'encoding="UTF-16"'))
                                     .encode("utf-16-be"), "ok")
    c["xml_utf16_no_bom.xml"] = (report().replace('encoding="UTF-8"', 'encoding="UTF-16"')
                                 .encode("utf-16-le"), "E_XML_ENCODING")
    c["xml_latin1_declared.xml"] = (report().replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')
                                    .encode("utf-8"), "E_XML_ENCODING")
    c["xml_nul_byte.xml"] = (u(report()).replace("乡党政办".encode(), b"a\x00b"),
                             "E_XML_ENCODING")
    c["xml_nul_charref.xml"] = (u(report().replace("乡党政办", "a&#0;b")), "E_XML_ENCODING")
    r = report()
    c["xml_truncated.xml"] = (u(r[:r.index("<walks>") + 4]), "E_XML_SYNTAX")
    c["xml_two_roots.xml"] = (u(report() + "<submission/>\n"), "E_XML_SYNTAX")
    c["xml_wrong_namespace.xml"] = (u(report().replace("urn:bizenv:submission:1",
                                                       "urn:evil")), "E_XML_SCHEMA")
    # a text node far beyond max_text_bytes (64K) but inside max_xml_bytes
    c["xml_text_1m.xml"] = (u(report().replace("<suggestions/>", "<suggestions><item>%s</item>"
                                               "</suggestions>" % ("长" * 400000))),
                            "E_XML_LIMIT")
    c["xml_attr_1m.xml"] = (u(report().replace('name="乡党政办"', 'name="%s"' % ("x" * 1000000))),
                            "E_XML_LIMIT")

    # values
    def count(v):
        return u(report().replace("<countyItems>142</countyItems>",
                                  "<countyItems>%s</countyItems>" % v))
    for name, v in [("fullwidth", "１４２"), ("plus", "+142"), ("minus", "-142"),
                    ("exponent", "1.42e2"), ("digits20", "12345678901234567890"),
                    ("digits10", "1234567890"), ("hex", "0x8E"), ("space_inside", "1 42"),
                    ("empty", "")]:
        c["val_count_%s.xml" % name] = (count(v), "E_COUNT_FORMAT")
    c["val_count_attr_exponent.xml"] = (u(report().replace('handled="31"', 'handled="3.1e1"')),
                                        "E_COUNT_FORMAT")
    c["val_date_feb30.xml"] = (u(report(text=lambda s: s.replace(
        'found="%s-13"' % s[s.index("<period>") + 8:s.index("<period>") + 15],
        'found="2026-02-30"'))), "E_DATE_INVALID")
    c["val_date_month13.xml"] = (u(report(text=lambda s: re.sub(
        r'date="(\d{4})-(\d\d)-08"', 'date="\\1-13-08"', s, count=1))), "E_DATE_INVALID")
    c["val_period_feb30.xml"] = (u(report(text=lambda s: re.sub(
        r"<period>[^<]*</period>", "<period>2026-13</period>", s))), "E_XML_SCHEMA")
    return c


def keys_in(data):
    """(township, period) of every report an accepted file carries."""
    if data[:2] == b"PK":
        out = []
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for info in z.infolist():
                # attachments (attachments/old.zip) carry no report
                if not info.is_dir() and "/" not in info.filename:
                    body = z.read(info)
                    if body[:2] == b"PK" or body.lstrip(b"\xef\xbb\xbf \r\n\t")[:1] == b"<":
                        out += keys_in(body)
        return out
    if data[:2] == b"\x1f\x8b":
        return keys_in(gzip.decompress(data))
    for enc in ("utf-8-sig", "utf-16", "gb18030"):
        try:
            s = data.decode(enc)
        except UnicodeDecodeError:
            continue
        m = re.search(r'<township code="(\d+)"', s)
        if m:
            p = re.search(r"<period>([^<]*)</period>", s).group(1)
            return [(m.group(1), p)]
    return []


def main():
    if len(sys.argv) not in (2, 3):
        sys.stderr.write("usage: make_night.py OUTDIR [--big]\n")
        return 2
    out = sys.argv[1]
    inbox = os.path.join(out, "inbox")
    os.makedirs(inbox, exist_ok=True)
    cases = {}
    for name, (data, expected) in make_corpus.cases(doc=doc).items():
        if expected.startswith("ok:"):
            expected = "ok"
        cases[name] = (data, expected)
    # XML-level outcomes of transports that are fine as transports:
    # white space before the XML declaration is a syntax error, and a UTF-16
    # document declared UTF-8 contradicts its BOM
    cases["bare_bom_ws.xml"] = (cases["bare_bom_ws.xml"][0], "E_XML_SYNTAX")
    cases["bare_utf16.xml"] = (cases["bare_utf16.xml"][0], "E_XML_ENCODING")
    cases.update(xml_cases())
    for i in range(3):
        cases["good_%d.xml" % i] = (doc(), "ok")
    if len(sys.argv) == 3 and sys.argv[2] == "--big":
        # a 200 MB text node: inside max_file_bytes (256M), past max_xml_bytes (16M)
        big = report().replace("<suggestions/>", "<suggestions><item>")
        with open(os.path.join(inbox, "xml_text_200m.xml"), "wb") as f:
            f.write(big.encode())
            chunk = b"a" * (1 << 20)
            for _ in range(200):
                f.write(chunk)
            f.write(b"</item></suggestions></submission>\n")
        cases_big = {"xml_text_200m.xml": "E_LIMIT_ENTRY_SIZE"}
    else:
        cases_big = {}
    accepted = []
    lines = []
    for name, (data, expected) in sorted(cases.items()):
        with open(os.path.join(inbox, name), "wb") as f:
            f.write(data)
        lines.append("%s\t%s\n" % (name, expected))
        if expected == "ok":
            ks = keys_in(data)
            if not ks:
                raise SystemExit("no report found in accepted case " + name)
            accepted += ["%s/%s" % k for k in ks]
    for name, expected in cases_big.items():
        lines.append("%s\t%s\n" % (name, expected))
    if len(set(accepted)) != len(accepted):
        raise SystemExit("two accepted reports share a township and period")
    with open(os.path.join(out, "manifest.tsv"), "w") as f:
        f.writelines(sorted(lines))
    with open(os.path.join(out, "accepted.txt"), "w") as f:
        f.write("".join("%s\n" % k for k in sorted(accepted)))
    with open(os.path.join(out, "values.tsv"), "w") as f:
        for field in values_report()[1]:
            f.write("%s\t%s\n" % (field, HOSTILE.encode("utf-8").hex()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
