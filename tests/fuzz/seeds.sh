#!/bin/sh
# Writes the fuzzers' seed corpora into DIR/unpack, DIR/transform and
# DIR/workbook: the valid examples (tests/data, the demo inbox; the example
# in UTF-16 too), every small file of the hostile corpus (tests/corpus) and
# the XML documents inside them; workbooks built from the examples
# (tests/lib/workbook.py, both date systems) and the small files of the
# hostile-workbook corpus.
# Nothing is committed: the seeds are generated each time.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$1
mkdir -p "$out/unpack" "$out/transform" "$out/workbook" "$out/gen"
python3 "$top/jobs/demo/make_inbox.py" "$out/gen/demo" >/dev/null
python3 "$top/tests/corpus/make_corpus.py" "$out/gen/corpus" >/dev/null
python3 "$top/tests/corpus/make_workbooks.py" "$out/gen/workbooks" >/dev/null
python3 - "$top" "$out" <<'PY'
import gzip, hashlib, io, os, sys, zipfile
top, out = sys.argv[1], sys.argv[2]
def put(kind, data):
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(out, kind, name), "wb") as f:
        f.write(data)
srcs = [os.path.join(top, "tests/data", f) for f in os.listdir(os.path.join(top, "tests/data"))]
for d in ("demo", "corpus"):
    g = os.path.join(out, "gen", d)
    srcs += [os.path.join(g, f) for f in os.listdir(g) if f != "manifest.tsv"]
for p in srcs:
    if not os.path.isfile(p) or os.path.getsize(p) > 256 * 1024:
        continue
    data = open(p, "rb").read()
    put("unpack", data)
    xmls = []
    if data[:2] == b"\x1f\x8b":
        try:
            xmls.append(gzip.decompress(data)[:1 << 20])
        except Exception:
            pass
    elif data[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                for i in z.infolist()[:20]:
                    if i.filename.lower().endswith(".xml") and i.file_size < 1 << 20:
                        xmls.append(z.read(i))
        except Exception:
            pass
    else:
        xmls.append(data)
    for x in xmls:
        put("transform", x)
# the example as Windows Notepad saves "Unicode" (UTF-16LE, BOM), and big-endian
ex = open(os.path.join(top, "tests/data/539901101-2026-10.xml"), "rb").read().decode()
ex = ex.replace('encoding="UTF-8"', 'encoding="UTF-16"')
put("transform", b"\xff\xfe" + ex.encode("utf-16-le"))
put("transform", b"\xfe\xff" + ex.encode("utf-16-be"))
sys.path.insert(0, os.path.join(top, "tests", "lib"))
import workbook
wdir = os.path.join(out, "gen", "workbooks")
for f in sorted(os.listdir(wdir)):
    p = os.path.join(wdir, f)
    if f.endswith(".tsv") or f.endswith(".txt") or os.path.getsize(p) > 256 * 1024:
        continue
    data = open(p, "rb").read()
    put("unpack", data)
    if data[:2] == b"PK" and f.endswith(".xlsx"):
        put("workbook", data)
ex = open(os.path.join(top, "tests/data/539901101-2026-10.xml"), "rb").read()
for kw in ({}, {"date1904": True}, {"plain": True}):
    wb = workbook.build(ex, **kw)
    put("workbook", wb)
    put("unpack", wb)
PY
rm -rf "$out/gen"
