#!/usr/bin/env python3
"""Every valid report of the test corpus, as one UTF-8 XML file each.

usage: valid_reports.py OUTDIR

Gathers the documents of tests/data (the normative example, which is also
the spec's), the demo inbox (jobs/demo/make_inbox.py: every transport,
warnings, a revision 2), the hostile night's accepted files
(tests/corpus/make_night.py: every transport and encoding, the
hostile-values report) and a small sample of the benchmark generator
(tests/bench/gen.py: random windows, leaders, walks and a problem ledger
carried over three months). Each document is taken out of its transport
(zip, batch, gzip), decoded (GB18030 and BOMs) to UTF-8, and written as
OUTDIR/<code>_<period>_r<revision>.xml; the first of two with the same key
wins. Documents the format rejects are kept too: the round-trip test keeps
the ones `bizenv ingest` accepted. Also writes OUTDIR/townships.csv, the
registry of every township involved. Standard library only.
"""

import gzip
import io
import os
import re
import subprocess
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import make_night  # noqa: E402


def documents(data):
    """The XML documents a transport carries."""
    if data[:2] == b"PK":
        out = []
        try:
            z = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            return []
        for info in z.infolist():
            if info.is_dir() or "/" in info.filename:
                continue
            body = z.read(info)
            if info.filename.lower().endswith(".zip"):
                out += documents(body)
            elif info.filename.lower().endswith(".xml"):
                out.append(body)
        return out
    if data[:2] == b"\x1f\x8b":
        return documents(gzip.decompress(data))
    return [data]


def to_utf8(doc):
    decl = re.match(rb'<\?xml[^>]*encoding="([^"]+)"', doc.lstrip(b"\xef\xbb\xbf"))
    enc = decl.group(1).decode().lower() if decl else "utf-8"
    if enc in ("gb2312", "gbk", "gb18030"):
        text = doc.decode("gb18030")
    else:
        text = doc.decode("utf-8-sig")
    return re.sub(r'encoding="[^"]+"', 'encoding="UTF-8"', text, count=1).encode("utf-8")


def key(doc):
    s = doc.decode("utf-8", "replace")
    m = re.search(r'<township code="(\d{9})"', s)
    p = re.search(r"<period>([^<]*)</period>", s)
    r = re.search(r"<revision>([^<]*)</revision>", s)
    if not (m and p and r):
        return None
    return "%s_%s_r%s" % (m.group(1), p.group(1).strip(), r.group(1).strip())


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: valid_reports.py OUTDIR\n")
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    sources = []
    for name in sorted(os.listdir(os.path.join(TOP, "tests/data"))):
        sources.append(open(os.path.join(TOP, "tests/data", name), "rb").read())
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, os.path.join(TOP, "jobs/demo/make_inbox.py"),
                        os.path.join(tmp, "demo")], check=True, stdout=subprocess.DEVNULL)
        demo = os.path.join(tmp, "demo")
        for name in sorted(os.listdir(demo), key=lambda n: os.path.getmtime(os.path.join(demo, n))):
            sources.append(open(os.path.join(demo, name), "rb").read())
        subprocess.run([sys.executable, os.path.join(TOP, "tests/bench/gen.py"), "--townships",
                        "3", "--months", "3", "--year", "2026", "--seed", "5",
                        os.path.join(tmp, "gen")], check=True)
        gen = os.path.join(tmp, "gen", "inbox")
        for name in sorted(os.listdir(gen), key=lambda n: os.path.getmtime(os.path.join(gen, n))):
            sources.append(open(os.path.join(gen, name), "rb").read())
        registry = open(os.path.join(TOP, "jobs/demo/townships.csv"), encoding="utf-8").read()
        extra = open(os.path.join(tmp, "gen", "townships.csv"), encoding="utf-8").read()
        registry += "".join(extra.splitlines(True)[1:])
    # the hostile night's accepted files, as make_night.py builds them
    night = dict(make_night.make_corpus.cases(doc=make_night.doc))
    night.update(make_night.xml_cases())
    for name, (data, expected) in sorted(night.items()):
        if expected.startswith("ok") and name not in ("bare_bom_ws.xml", "bare_utf16.xml"):
            sources.append(data)
    seen = set()
    for data in sources:
        for doc in documents(data):
            try:
                doc = to_utf8(doc)
            except (UnicodeDecodeError, ValueError):
                continue
            k = key(doc)
            if k is None or k in seen:
                continue
            seen.add(k)
            with open(os.path.join(out, k + ".xml"), "wb") as f:
                f.write(doc)
    with open(os.path.join(out, "townships.csv"), "w", encoding="utf-8") as f:
        f.write(registry)
    return 0


if __name__ == "__main__":
    sys.exit(main())
