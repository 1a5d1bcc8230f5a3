"""Hostile inputs: every case ends as a Detection with a reason, in bounded time and memory, never a crash.

Bombs are built small (a 1 GiB deflate of zeros is assembled from one repeated full-flush block, so the test
file stays about 1 MiB) and the assertions bound wall time and the Python heap (tracemalloc) while `detect`
runs, plus the process's peak RSS growth for what tracemalloc cannot see (libxml2, PDFium).
"""

from __future__ import annotations

import random
import resource
import socket
import struct
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest
from lxml import etree

from agents.detect import Detection, DetectLimits, detect
from agents.readers.safe_xml import XmlRefusedError, hardened_parser, parse_xml
from schemas import DocumentFormat, Route

LIMITS = DetectLimits()
MAX_SECONDS = 3.0
MAX_PY_HEAP = 48 * 1024 * 1024
MAX_RSS_GROWTH_KIB = 256 * 1024
UBL_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"


def _run(content: bytes, limits: DetectLimits = LIMITS) -> Detection:
    """Run detect under a stopwatch and tracemalloc; assert the time and memory bounds."""
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    start = time.perf_counter()
    try:
        detection = detect(content, limits)
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    assert elapsed < MAX_SECONDS, f"took {elapsed:.2f} s"
    assert peak < MAX_PY_HEAP, f"Python heap peaked at {peak} bytes"
    assert rss_growth < MAX_RSS_GROWTH_KIB, f"RSS grew by {rss_growth} KiB"
    return detection


def _assert_invalid(detection: Detection, code: str) -> None:
    assert detection.route is Route.INVALID
    assert [r.code for r in detection.reasons] == [code]
    assert detection.xml is None


def zeros_zlib(mebibytes: int) -> bytes:
    """A valid zlib stream inflating to `mebibytes` MiB of zeros, built without compressing them all."""
    block_maker = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = block_maker.compress(bytes(1 << 20)) + block_maker.flush(zlib.Z_FULL_FLUSH)
    final = zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    adler = (((mebibytes << 20) % 65521) << 16) | 1
    return b"\x78\xda" + block * mebibytes + final + struct.pack(">I", adler)


def pdf_with_stream(data: bytes, filters: bytes, length: int | None = None) -> bytes:
    """A one-page PDF whose content stream is `data` under `filters`, with a correct xref table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter %s >>\nstream\n" % (len(data) if length is None else length, filters)
        + data
        + b"\nendstream",
    ]
    out = b"%PDF-1.7\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` x `height` pixels, with a tiny IDAT."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(64))) + chunk(b"IEND", b"")


def lzw_zeros(count: int) -> bytes:
    """PDF LZW (EarlyChange 1) encoding of `count` zero bytes: a minimal encoder for the bomb test."""
    table = {bytes([i]): i for i in range(256)}
    next_code, width, bits, nbits, out = 258, 9, 0, 0, bytearray()

    def emit(code: int) -> None:
        nonlocal bits, nbits
        bits = (bits << width) | code
        nbits += width
        while nbits >= 8:
            nbits -= 8
            out.append((bits >> nbits) & 0xFF)
            bits &= (1 << nbits) - 1

    emit(256)
    current = b""
    for _ in range(count):
        candidate = current + b"\0"
        if candidate in table:
            current = candidate
            continue
        emit(table[current])
        if next_code < 4096:
            table[candidate] = next_code
            next_code += 1
            if next_code + 1 > (1 << width) and width < 12:
                width += 1
        current = b"\0"
    emit(table[current])
    emit(257)
    if nbits:
        out.append((bits << (8 - nbits)) & 0xFF)
    return bytes(out)


XXE_FILE = (
    b'<?xml version="1.0"?>\n<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    b'<Invoice xmlns="' + UBL_NS.encode() + b'"><ID>&xxe;</ID></Invoice>'
)
BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + b"".join(
        b' <!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)
    )
    + b"]>\n<lolz>&lol9;</lolz>"
)
QUADRATIC = (
    b'<?xml version="1.0"?>\n<!DOCTYPE q [<!ENTITY a "' + b"x" * 100_000 + b'">]>\n<q>' + b"&a;" * 20_000 + b"</q>"
)


def test_xxe_with_a_file_entity_is_refused() -> None:
    _assert_invalid(_run(XXE_FILE), "xml_doctype_forbidden")


def test_xxe_with_an_http_entity_is_refused_and_makes_no_connection() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.setblocking(False)
        port = server.getsockname()[1]
        doc = XXE_FILE.replace(b"file:///etc/passwd", b"http://127.0.0.1:%d/evil.dtd" % port)
        _assert_invalid(_run(doc), "xml_doctype_forbidden")
        # Even the bare hardened parser, without our DOCTYPE refusal, must not fetch it.
        root = etree.fromstring(doc, parser=hardened_parser())
        assert "root:" not in etree.tostring(root, encoding="unicode")
        with pytest.raises(BlockingIOError):
            server.accept()


def test_the_hardened_parser_alone_does_not_expand_entities() -> None:
    root = etree.fromstring(XXE_FILE, parser=hardened_parser())
    assert "root:" not in etree.tostring(root, encoding="unicode")
    try:
        laughs = etree.fromstring(BILLION_LAUGHS, parser=hardened_parser())
    except etree.XMLSyntaxError as exc:  # libxml2's own amplification guard is a fine answer too
        assert "amplification" in str(exc)
    else:
        assert len(etree.tostring(laughs)) < 1000


def test_billion_laughs_is_refused() -> None:
    _assert_invalid(_run(BILLION_LAUGHS), "xml_doctype_forbidden")


def test_quadratic_blowup_is_refused() -> None:
    _assert_invalid(_run(QUADRATIC), "xml_doctype_forbidden")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_doctype_in_utf16_is_refused(encoding: str) -> None:
    text = XXE_FILE.decode().replace('<?xml version="1.0"?>', f'<?xml version="1.0" encoding="{encoding}"?>')
    content = text.encode(encoding)
    if encoding == "utf-16-be":
        content = b"\xfe\xff" + content
    _assert_invalid(_run(content), "xml_doctype_forbidden")


@pytest.mark.parametrize("encoding", ["utf-32", "utf-32-be"])
def test_xml_in_a_wide_encoding_we_cannot_scan_is_refused(encoding: str) -> None:
    content = XXE_FILE.decode().replace('<?xml version="1.0"?>', "").encode(encoding)
    if encoding == "utf-32-be":
        content = b"\x00\x00\xfe\xff" + content
    assert _run(content).route is Route.INVALID
    with pytest.raises(XmlRefusedError) as refused:
        parse_xml(content, 1 << 20)
    assert refused.value.code in ("xml_malformed", "xml_doctype_forbidden")


def test_a_doctype_behind_comments_and_processing_instructions_is_refused() -> None:
    content = b'<?xml version="1.0"?>\n<!-- <a> -->\n<?pi x?>\n<!DOCTYPE a SYSTEM "http://x/y.dtd"><a/>'
    with pytest.raises(XmlRefusedError) as refused:
        parse_xml(content, 1 << 20)
    assert refused.value.code == "xml_doctype_forbidden"


def test_a_pdf_stream_inflating_to_one_gibibyte_is_refused() -> None:
    bomb = pdf_with_stream(zeros_zlib(1024), b"/FlateDecode")
    assert len(bomb) < 2 * 1024 * 1024
    _assert_invalid(_run(bomb), "pdf_stream_bomb")


def test_a_nested_flate_bomb_is_refused() -> None:
    inner = zeros_zlib(1024)
    bomb = pdf_with_stream(zlib.compress(inner, 9), b"[/FlateDecode /FlateDecode]")
    assert len(bomb) < 64 * 1024
    _assert_invalid(_run(bomb), "pdf_stream_bomb")


def test_a_flate_bomb_hidden_under_hex_and_a_lying_dictionary_is_refused() -> None:
    hexed = zlib.compress(zeros_zlib(256), 9).hex().encode() + b">"
    # The dictionary claims no filter at all: the data itself gives the bomb away.
    bomb = pdf_with_stream(hexed, b"/Nothing").replace(b"/Filter /Nothing", b"")
    _assert_invalid(_run(bomb), "pdf_stream_bomb")


def test_a_flate_bomb_behind_a_short_length_is_refused() -> None:
    bomb = pdf_with_stream(zeros_zlib(128), b"/FlateDecode", length=10)
    _assert_invalid(_run(bomb), "pdf_stream_bomb")


def test_an_lzw_bomb_is_refused() -> None:
    limits = DetectLimits(max_inflated_bytes=1 << 20)
    data = lzw_zeros(4 << 20)
    assert len(data) < 64 * 1024
    _assert_invalid(_run(pdf_with_stream(data, b"/LZWDecode"), limits), "pdf_stream_bomb")


def test_a_run_length_bomb_is_refused() -> None:
    limits = DetectLimits(max_inflated_bytes=1 << 20)
    data = b"\x81\x00" * 20_000 + b"\x80"  # 20,000 runs of 128 zeros: 2.5 MiB
    _assert_invalid(_run(pdf_with_stream(data, b"/RunLengthDecode"), limits), "pdf_stream_bomb")


def test_a_truncated_pdf_is_refused(corpus: Path) -> None:
    sample = next(iter(sorted(corpus.rglob("*.pdf"))))
    content = sample.read_bytes()
    _assert_invalid(_run(content[: len(content) // 2]), "pdf_truncated")


def test_a_pdf_pdfium_cannot_open_is_refused() -> None:
    _assert_invalid(_run(b"%PDF-1.7\n1 0 obj\n<< garbage\n%%EOF\n"), "pdf_corrupt")


def test_a_png_bomb_is_refused() -> None:
    detection = _run(png_header(100_000, 100_000))
    _assert_invalid(detection, "image_bomb")
    assert detection.format is DocumentFormat.IMAGE


def test_a_corrupt_image_is_refused() -> None:
    _assert_invalid(_run(b"\x89PNG\r\n\x1a\n" + bytes(100)), "image_corrupt")


def test_a_zero_byte_file_is_refused() -> None:
    _assert_invalid(_run(b""), "empty")


def test_random_bytes_are_refused() -> None:
    content = random.Random(20261129).randbytes(64 * 1024)
    _assert_invalid(_run(content), "unrecognised_content")


def test_a_50_mib_file_is_refused_before_any_parsing() -> None:
    content = b"%PDF-1.7\n" + bytes(50 * 1024 * 1024)
    start = time.perf_counter()
    detection = detect(content, LIMITS)
    assert time.perf_counter() - start < 0.5
    _assert_invalid(detection, "too_large")


def test_an_xml_over_the_xml_limit_is_refused() -> None:
    content = b'<Invoice xmlns="' + UBL_NS.encode() + b'">' + b" " * 4096 + b"</Invoice>"
    _assert_invalid(_run(content, DetectLimits(max_xml_bytes=1024)), "xml_too_large")


def test_malformed_xml_is_refused() -> None:
    _assert_invalid(_run(b'<Invoice xmlns="' + UBL_NS.encode() + b'"><ID>1</Invoice>'), "xml_malformed")


def test_the_time_budget_is_enforced() -> None:
    content = pdf_with_stream(zlib.compress(b"BT ET"), b"/FlateDecode")
    _assert_invalid(_run(content, DetectLimits(time_budget_s=1e-9)), "time_budget_exceeded")
