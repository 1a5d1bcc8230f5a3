"""The bounded PDF stream decoders used to measure streams before PDFium decodes them."""

from __future__ import annotations

import base64
import zlib

from agents.readers._pdf_decoders import ascii85, ascii_hex, inflate, lzw, run_length
from agents.readers._pdf_guard import check_streams, stream_filters


def test_lzw_decodes_the_pdf_reference_example() -> None:
    # PDF 1.7 reference, 7.4.4.2: "-----A---B" encodes as 80 0B 60 50 22 0C 0C 85 01.
    assert b"".join(lzw([bytes.fromhex("800B6050220C0C8501")])) == b"-----A---B"


def test_lzw_across_chunk_boundaries() -> None:
    data = bytes.fromhex("800B6050220C0C8501")
    assert b"".join(lzw([data[:3], data[3:5], data[5:]])) == b"-----A---B"


def test_run_length_literal_and_repeat_runs() -> None:
    assert b"".join(run_length([b"\x02abc\xfdz\x80garbage"])) == b"abc" + b"z" * 4


def test_ascii_encodings() -> None:
    assert b"".join(ascii_hex([b"48 65 6C\n6C 6F>tail"])) == b"Hello"
    assert b"".join(ascii_hex([b"414>"])) == b"A@"  # odd digit count: a trailing 0 is implied
    assert b"".join(ascii85([base64.a85encode(b"Hello, world") + b"~>"])) == b"Hello, world"


def test_inflate_stops_at_the_end_of_its_stream_and_on_garbage() -> None:
    assert b"".join(inflate([zlib.compress(b"abc") + b"trailing bytes"])) == b"abc"
    assert b"".join(inflate([b"\x78\x9cnot deflate"])) == b""


def test_filter_chains_are_read_with_abbreviations() -> None:
    assert stream_filters(b"<< /Length 5 /Filter [/AHx /Fl] >>") == ((b"ASCIIHexDecode", b"FlateDecode"),)
    assert stream_filters(b"<< /Filter/FlateDecode/Length 3 >>") == ((b"FlateDecode",),)
    assert stream_filters(b"<< /Filter 7 0 R >>") == ((),)
    assert stream_filters(b"<< /Length 3 >>") == ()


def test_check_streams_measures_every_compressed_stream_of_a_normal_pdf() -> None:
    body = zlib.compress(b"BT /F1 12 Tf (Hello) Tj ET")
    pdf = b"%%PDF-1.7\n4 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body) + body
    pdf += b"\nendstream\nendobj\n%%EOF\n"
    assert check_streams(pdf, 1 << 20, float("inf")) == 1
