#!/usr/bin/env python3
"""Generates hostile and valid transport files for ingest/unpack.

usage: make_corpus.py OUTDIR

Writes the files into OUTDIR and OUTDIR/manifest.tsv with lines
`filename<TAB>expected`, where expected is `ok:<ndocs>` or the first error
code unpack_file must report with the default settings. Standard library
only. Every file is small on disk (bombs are small compressed files that
expand past the limits).

Zips are written by hand (struct) rather than with zipfile so that names,
flags, sizes, CRCs, attributes and offsets can lie exactly as an attacker's
would.
"""

import gzip
import hashlib
import io
import os
import random
import struct
import sys
import tarfile
import zlib

XML = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
       b'<submission xmlns="urn:bizenv:submission:1" schemaVersion="1"/>\n')
# The attachment whose SHA-256 the cmocka test knows (see test_unpack.c).
PDF = b"%PDF-1.4\n% bizenv test attachment\n%%EOF\n"

# Source of every document put in a case (cases(doc=...) replaces it).
def DOC():
    return XML


FLAG_ENCRYPTED = 0x0001
FLAG_UTF8 = 0x0800


def deflate(data):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


class Entry:
    """One zip entry. Every field that a hostile zip can lie about is here."""

    def __init__(self, name, data=b"", method=8, flags=None, crc=None,
                 usize=None, external_attr=None, create_system=0,
                 local_name=None, is_dir=False):
        self.name = name.encode("utf-8") if isinstance(name, str) else name
        self.data = data
        self.method = 0 if is_dir else method
        if flags is None:
            flags = FLAG_UTF8 if isinstance(name, str) and not name.isascii() else 0
        self.flags = flags
        self.crc = zlib.crc32(data) if crc is None else crc
        self.usize = len(data) if usize is None else usize
        if external_attr is None:
            external_attr = 0x10 if is_dir else 0
        self.external_attr = external_attr
        self.create_system = create_system
        self.local_name = self.name if local_name is None else local_name
        self.comp = deflate(data) if self.method == 8 else data


def local_header(e):
    return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, e.flags, e.method, 0, 0x21,
                       e.crc, len(e.comp), e.usize, len(e.local_name), 0) + e.local_name


def central_header(e, offset):
    version_made = (e.create_system << 8) | 20
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, version_made, 20, e.flags,
                       e.method, 0, 0x21, e.crc, len(e.comp), e.usize, len(e.name),
                       0, 0, 0, 0, e.external_attr, offset) + e.name


def eocd(count, cd_size, cd_offset):
    return struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, cd_size, cd_offset, 0)


def make_zip(entries):
    out = bytearray()
    central = bytearray()
    for e in entries:
        offset = len(out)
        out += local_header(e) + e.comp
        central += central_header(e, offset)
    cd_offset = len(out)
    out += central + eocd(len(entries), len(central), cd_offset)
    return bytes(out)


def package(xml_name="report.xml", extra=()):
    return make_zip([Entry(xml_name, DOC()), Entry("attachments/", is_dir=True),
                     Entry("attachments/report.pdf", PDF)] + list(extra))


def crc32_combine(crc1, crc2, len2):
    """zlib's crc32_combine (GF(2) matrix method): the CRC of A+B from
    crc(A), crc(B) and len(B), so the bomb's CRCs need no giant buffers."""
    def times(mat, vec):
        s, i = 0, 0
        while vec:
            if vec & 1:
                s ^= mat[i]
            vec >>= 1
            i += 1
        return s

    def square(mat):
        return [times(mat, mat[n]) for n in range(32)]

    if len2 == 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]
    even = square(odd)
    odd = square(even)
    while True:
        even = square(odd)
        if len2 & 1:
            crc1 = times(even, crc1)
        len2 >>= 1
        if len2 == 0:
            break
        odd = square(even)
        if len2 & 1:
            crc1 = times(odd, crc1)
        len2 >>= 1
        if len2 == 0:
            break
    return crc1 ^ crc2


def overlap_bomb(n=200, kernel_bytes=4 * 1024 * 1024):
    """Fifield's "better zip bomb" (overlapping files, quoted local headers).

    Entry i's compressed data starts with a non-final stored deflate block
    whose content is local header i+1, so inflating entry i yields every
    later local header and then the shared kernel: n entries of about
    kernel_bytes each from one small kernel. Every local header matches its
    central-directory record (name, CRC, sizes), so nothing but byte caps
    tells it from an honest zip."""
    kernel_plain = bytes(kernel_bytes)
    kernel = deflate(kernel_plain)
    names = [b"attachments/k%05d.bin" % i for i in range(n)]
    headers = [None] * n
    crc, usize, csize = zlib.crc32(kernel_plain), len(kernel_plain), len(kernel)
    for i in range(n - 1, -1, -1):
        e = Entry(names[i], b"", method=8, crc=crc, usize=usize)
        e.comp = b"\0" * csize  # only its length matters to local_header
        headers[i] = (e, local_header(e))
        if i > 0:
            lfh = headers[i][1]
            crc = crc32_combine(zlib.crc32(lfh), crc, usize)
            usize += len(lfh)
            csize += 5 + len(lfh)
    xml = Entry("report.xml", DOC())
    out = bytearray(local_header(xml) + xml.comp)
    central = bytearray(central_header(xml, 0))
    for i, (e, lfh) in enumerate(headers):
        central += central_header(e, len(out))
        out += lfh
        if i + 1 < n:
            nxt = headers[i + 1][1]
            out += struct.pack("<BHH", 0, len(nxt), len(nxt) ^ 0xFFFF)
    out += kernel
    cd_offset = len(out)
    out += central + eocd(n + 1, len(central), cd_offset)
    return bytes(out)


def gz(data):
    return gzip.compress(data, 9, mtime=0)


def cases(doc=None):
    """The cases; doc() gives the XML document to put in each place (default:
    the one stub XML), so that make_night.py can use distinct valid reports."""
    global DOC
    if doc is not None:
        DOC = doc
    c = {}
    c["pkg_ok.zip"] = (package(), "ok:1")
    c["pkg_utf8_names.zip"] = (make_zip([Entry("report.xml", DOC()),
                                         Entry("附件/照片.pdf", PDF)]), "ok:1")
    c["pkg_gbk_names.zip"] = (make_zip([Entry("report.xml", DOC()),
                                        Entry("附件/报告.pdf".encode("gbk"), PDF, flags=0)]),
                              "ok:1")
    c["pkg_xml_stored.zip"] = (make_zip([Entry("report.xml", DOC(), method=0)]), "ok:1")
    c["pkg_zip_attachment.zip"] = (package(extra=[Entry("attachments/old.zip", package())]),
                                   "ok:1")
    c["batch_ok.zip"] = (make_zip([Entry("a.zip", package(), method=0),
                                   Entry("b.zip", package()),
                                   Entry("c.xml", DOC())]), "ok:3")
    c["batch_two_xml.zip"] = (make_zip([Entry("x.xml", DOC()), Entry("y.xml", DOC())]), "ok:2")
    c["bare.xml"] = (DOC(), "ok:1")
    c["bare_bom_ws.xml"] = (b"\xef\xbb\xbf \r\n\t" + DOC(), "ok:1")
    c["bare_utf16.xml"] = (DOC().decode().encode("utf-16"), "ok:1")
    c["doc.xml.gz"] = (gz(DOC()), "ok:1")
    # 8 KB of text: small ratio, used with max_xml_bytes lowered
    c["doc_8k.xml.gz"] = (gz(DOC() + b"<!-- " + bytes(range(48, 58)) * 800 + b" -->\n"),
                          "ok:1")

    # bombs and size lies
    c["bomb_ratio.zip"] = (make_zip([Entry("report.xml", DOC()),
                                     Entry("attachments/zeros.bin", bytes(50 * 1024 * 1024))]),
                           "E_LIMIT_RATIO")
    c["bomb_overlap.zip"] = (overlap_bomb(), "E_LIMIT_RATIO")
    # about 30 GB: the timeout test disables the byte caps and needs work
    # that takes far more than a second
    c["bomb_overlap_big.zip"] = (overlap_bomb(500, 60 * 1024 * 1024), "E_LIMIT_RATIO")
    big = random.Random(7).randbytes(100 * 1024)
    c["size_declared_small.zip"] = (make_zip([Entry("report.xml", DOC()),
                                              Entry("attachments/a.bin", big, usize=1000)]),
                                    "E_ZIP_SIZE_MISMATCH")
    c["size_declared_small_stored.zip"] = (make_zip([Entry("report.xml", DOC()),
                                                     Entry("attachments/a.bin", big, method=0,
                                                           usize=1000)]),
                                           "E_ZIP_SIZE_MISMATCH")
    c["size_declared_huge.zip"] = (make_zip([Entry("report.xml", DOC()),
                                             Entry("attachments/a.pdf", PDF,
                                                   usize=0x7FFFFFFF)]),
                                   "E_LIMIT_ENTRY_SIZE")
    c["bad_crc.zip"] = (make_zip([Entry("report.xml", DOC()),
                                  Entry("attachments/a.pdf", PDF, crc=0x12345678)]),
                        "E_ZIP_CRC")
    ok = package()
    c["truncated.zip"] = (ok[: len(ok) // 2], "E_ZIP_CORRUPT")
    c["zip_magic_garbage.zip"] = (b"PK\x03\x04" + random.Random(3).randbytes(2000),
                                  "E_ZIP_CORRUPT")

    # structure
    inner_batch = make_zip([Entry("p.zip", package())])
    c["nested_batch_in_batch.zip"] = (make_zip([Entry("outer.zip", inner_batch)]),
                                      "E_LIMIT_NESTING")
    c["nested_third_level.zip"] = (make_zip([Entry("pkg.zip", package(extra=[
        Entry("deeper.zip", package())]))]), "E_LIMIT_NESTING")
    c["too_many_entries.zip"] = (make_zip([Entry("report.xml", DOC())] +
                                          [Entry("attachments/f%04d.txt" % i, b"")
                                           for i in range(2000)]), "E_LIMIT_ENTRIES")
    c["pkg_two_xml.zip"] = (make_zip([Entry("a.xml", DOC()), Entry("b.xml", DOC()),
                                      Entry("attachments/a.pdf", PDF)]), "E_ZIP_MANY_XML")
    c["pkg_no_xml.zip"] = (make_zip([Entry("attachments/a.pdf", PDF)]), "E_ZIP_NO_XML")
    c["pkg_only_dirs.zip"] = (make_zip([Entry("attachments/", is_dir=True)]), "E_ZIP_NO_XML")
    c["empty_archive.zip"] = (eocd(0, 0, 0), "E_ZIP_EMPTY")
    c["batch_with_folder.zip"] = (make_zip([Entry("a.zip", package()),
                                            Entry("attachments/a.pdf", PDF)]),
                                  "E_ZIP_BATCH_CONTENT")
    c["batch_with_other_file.zip"] = (make_zip([Entry("a.zip", package()),
                                                Entry("readme.txt", b"hi")]),
                                      "E_ZIP_BATCH_CONTENT")
    c["nested_two_xml.zip"] = (make_zip([Entry("a.zip", make_zip([
        Entry("a.xml", DOC()), Entry("b.xml", DOC()), Entry("attachments/a.pdf", PDF)]))]),
        "E_ZIP_MANY_XML")
    c["nested_no_xml.zip"] = (make_zip([Entry("a.zip", make_zip([
        Entry("attachments/a.pdf", PDF)]))]), "E_ZIP_NO_XML")
    c["nested_bad_name.zip"] = (make_zip([Entry("a.zip", package(extra=[
        Entry("../evil.pdf", PDF)]))]), "E_ZIP_ENTRY_NAME")
    c["nested_corrupt.zip"] = (make_zip([Entry("a.zip", b"PK\x03\x04" + bytes(100))]),
                               "E_ZIP_CORRUPT")

    # names
    c["dup_exact.zip"] = (package(extra=[Entry("attachments/report.pdf", PDF)]),
                          "E_ZIP_DUPLICATE_NAME")
    c["dup_casefold.zip"] = (package(extra=[Entry("Attachments/Report.PDF", PDF)]),
                             "E_ZIP_DUPLICATE_NAME")
    bad_names = {
        "name_dotdot.zip": b"../evil.xml",
        "name_dotdot_inner.zip": b"attachments/../../evil.pdf",
        "name_absolute.zip": b"/x.xml",
        "name_backslash.zip": b"a\\..\\b.xml",
        "name_drive.zip": b"C:/x.pdf",
        "name_control.zip": b"attachments/a\x01.pdf",
        "name_del.zip": b"attachments/a\x7f.pdf",
        "name_empty_component.zip": b"attachments//a.pdf",
        "name_dot.zip": b"./attachments/a.pdf",
        "name_too_long.zip": b"attachments/" + b"a" * 300 + b".pdf",
    }
    for fname, raw in bad_names.items():
        c[fname] = (make_zip([Entry("report.xml", DOC()), Entry(raw, PDF, flags=0)]),
                    "E_ZIP_ENTRY_NAME")
    # several bad names: every one is reported, not only the first
    c["many_bad_names.zip"] = (make_zip([Entry("report.xml", DOC()),
                                         Entry(b"../a.pdf", PDF, flags=0),
                                         Entry(b"/b.pdf", PDF, flags=0),
                                         Entry(b"attachments/c\x02.pdf", PDF, flags=0)]),
                               "E_ZIP_ENTRY_NAME")
    # libarchive 3.6.2 turns every backslash into '/' before we see the
    # name: "a\\b.pdf" is then an ordinary path, "\\x.pdf" an absolute one
    c["name_backslash_abs.zip"] = (make_zip([Entry("report.xml", DOC()),
                                             Entry(b"\\x.pdf", PDF, flags=0)]),
                                   "E_ZIP_ENTRY_NAME")
    c["name_backslash_dos.zip"] = (make_zip([Entry("report.xml", DOC()),
                                             Entry(b"attachments\\a.pdf", PDF, flags=0)]),
                                   "ok:1")
    # 0xFF is no lead byte in GB18030, and 0x81 0x30 must be followed by a
    # byte 0x81..0xFE and a digit: neither decodes.
    c["name_bad_gb18030.zip"] = (make_zip([Entry("report.xml", DOC()),
                                           Entry(b"attachments/\xff\x81\x30.pdf", PDF, flags=0)]),
                                 "E_ZIP_NAME_ENCODING")
    c["name_bad_utf8.zip"] = (make_zip([Entry("report.xml", DOC()),
                                        Entry(b"attachments/\xc3\x28.pdf", PDF,
                                              flags=FLAG_UTF8)]),
                              "E_ZIP_NAME_ENCODING")

    # entry types
    def typed(mode):
        return make_zip([Entry("report.xml", DOC()),
                         Entry("attachments/link", b"/etc/passwd", method=0,
                               external_attr=mode << 16, create_system=3)])
    c["type_symlink.zip"] = (typed(0o120777), "E_ZIP_ENTRY_TYPE")
    c["type_chardev.zip"] = (typed(0o020644), "E_ZIP_ENTRY_TYPE")
    c["type_blockdev.zip"] = (typed(0o060644), "E_ZIP_ENTRY_TYPE")
    # libarchive reports a FIFO-mode zip entry as a regular file: its bytes
    # become an ordinary attachment (nothing is ever created on disk)
    c["type_fifo.zip"] = (typed(0o010644), "ok:1")
    c["encrypted.zip"] = (make_zip([Entry("report.xml", DOC()),
                                    Entry("attachments/a.pdf", PDF, flags=FLAG_ENCRYPTED)]),
                          "E_ZIP_ENCRYPTED")

    # other formats named .zip
    c["rar.zip"] = (b"Rar!\x1a\x07\x01\x00" + bytes(64), "E_FILE_TYPE")
    c["7z.zip"] = (b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(64), "E_FILE_TYPE")
    tbuf = io.BytesIO()
    with tarfile.open(fileobj=tbuf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        info = tarfile.TarInfo("report.xml")
        doc = DOC()
        info.size = len(doc)
        t.addfile(info, io.BytesIO(doc))
    c["tar.zip"] = (tbuf.getvalue(), "E_FILE_TYPE")
    c["spanned_marker.zip"] = (b"PK\x07\x08" + bytes(64), "E_FILE_TYPE")

    # gzip
    good = gz(DOC())
    c["gz_truncated.xml.gz"] = (good[: len(good) - 12], "E_GZ_CORRUPT")
    c["gz_header_only.xml.gz"] = (good[:10], "E_GZ_CORRUPT")
    crc = bytearray(good)
    crc[-8] ^= 0xFF
    c["gz_bad_crc.xml.gz"] = (bytes(crc), "E_GZ_TRAILER")
    ln = bytearray(good)
    ln[-4] ^= 0x01
    c["gz_bad_length.xml.gz"] = (bytes(ln), "E_GZ_TRAILER")
    body = bytearray(good)
    body[20] ^= 0x55
    c["gz_corrupt_body.xml.gz"] = (bytes(body), "E_GZ_CORRUPT")
    c["gz_multi_member.xml.gz"] = (good + gz(DOC()), "E_GZ_TRAILING_DATA")
    c["gz_trailing_garbage.xml.gz"] = (good + b"garbage", "E_GZ_TRAILING_DATA")
    c["gz_trailing_zeros.xml.gz"] = (good + bytes(512), "E_GZ_TRAILING_DATA")
    c["gz_bomb.xml.gz"] = (gz(b"<a>" + bytes(50 * 1024 * 1024)), "E_LIMIT_RATIO")

    # plain bytes
    c["empty.xml"] = (b"", "E_FILE_EMPTY")
    rnd = bytearray(random.Random(42).randbytes(4096))
    rnd[0] = 0x00
    c["random.bin"] = (bytes(rnd), "E_FILE_TYPE")
    c["whitespace_only.xml"] = (b" \n\t\n", "E_FILE_TYPE")
    c["text.xml"] = (b"hello, not xml\n", "E_FILE_TYPE")
    return c


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: make_corpus.py OUTDIR\n")
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    lines = []
    for name, (data, expected) in sorted(cases().items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        lines.append("%s\t%s\n" % (name, expected))
    with open(os.path.join(out, "manifest.tsv"), "w") as f:
        f.writelines(lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
