"""The bounded PDF stream decoders used to measure streams before PDFium decodes them."""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import Iterator

import pytest

from agents.readers._pdf_decoders import DECODERS, ascii85, ascii_hex, inflate, inflate_head, lzw, run_length
from agents.readers._pdf_guard import _MAX_RATIO, InflateLimitError, check_streams, looks_truncated, stream_filters


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


def _one_stream_pdf(data: bytes, dictionary: bytes, keyword: bytes = b"stream\n") -> bytes:
    return b"%PDF-1.7\n4 0 obj\n" + dictionary + keyword + data + b"\nendstream\nendobj\n%%EOF\n"


def test_inflate_head_reads_the_same_head_however_the_input_is_chunked() -> None:
    data = zlib.compress(b"abcdef" * 1000)
    assert inflate_head([data], 2) == b"ab"
    assert inflate_head([data[:3], data[3:4], data[4:]], 5) == b"abcde"
    assert inflate_head([zlib.compress(b"a")], 2) == b"a"
    assert inflate_head([b"\x78\x9cnot deflate"], 2) == b""


def test_deflate_never_expands_past_the_ratio_the_guard_relies_on() -> None:
    for level in (1, 9):
        packed = zlib.compress(bytes(8 << 20), level)
        assert len(zlib.decompress(packed)) <= _MAX_RATIO[b"FlateDecode"] * len(packed)


def test_a_stream_that_cannot_reach_the_limit_is_counted_without_inflating_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(chunks: object) -> Iterator[bytes]:
        raise AssertionError("inflated a stream whose worst case fits the limit")

    monkeypatch.setitem(DECODERS, b"FlateDecode", refuse)
    body = zlib.compress(b"BT /F1 12 Tf (Hello) Tj ET")
    assert check_streams(_one_stream_pdf(body, b"<< /Filter /FlateDecode >>"), 1 << 20, float("inf")) == 1


def test_the_bound_is_the_whole_rest_of_the_file_not_the_declared_length() -> None:
    body = zlib.compress(bytes(1 << 20), 9)  # about 1 KiB inflating to 1 MiB
    pdf = _one_stream_pdf(body, b"<< /Length 10 /Filter /FlateDecode >>")
    with pytest.raises(InflateLimitError):  # 1032 x ~1 KiB may pass 512 KiB: measured, and refused
        check_streams(pdf, 512 * 1024, float("inf"))
    assert check_streams(pdf, 4 << 20, float("inf")) == 1  # cannot pass 4 MiB whatever the data: not inflated


def test_a_nested_zlib_layer_under_a_small_first_layer_is_followed() -> None:
    inner = zlib.compress(bytes(4 << 20), 9)
    pdf = _one_stream_pdf(zlib.compress(inner, 9), b"<< /Filter 9 0 R >>")  # chain unknown: sniffed
    assert len(pdf) * _MAX_RATIO[b"FlateDecode"] < 1 << 20  # the first layer alone fits the limit
    with pytest.raises(InflateLimitError):
        check_streams(pdf, 1 << 20, float("inf"))


def test_a_one_byte_first_chunk_does_not_hide_a_nested_layer() -> None:
    packer = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_FIXED)
    outer = packer.compress(zlib.compress(bytes(4 << 20), 9)) + packer.flush()
    assert zlib.decompressobj().decompress(outer[:4]) == b"\x78"  # /Length 4 gives a one-byte first chunk
    pdf = _one_stream_pdf(outer + bytes(1 << 20), b"<< /Length 4 /Filter 9 0 R >>")  # padding: no shortcut
    with pytest.raises(InflateLimitError):
        check_streams(pdf, 1 << 20, float("inf"))


def test_a_fake_endstream_where_the_length_points_does_not_end_the_measurement() -> None:
    fake = b"\nendstream\nendobj\n"  # a stored deflate block carries it; more blocks follow
    stored = b"\x00" + struct.pack("<HH", len(fake), 0xFFFF ^ len(fake)) + fake
    rest = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = b"\x78\xda" + stored + rest.compress(bytes(2 << 20)) + rest.flush()
    with pytest.raises(InflateLimitError):
        check_streams(_one_stream_pdf(body, b"<< /Length 7 /Filter /FlateDecode >>"), 1 << 20, float("inf"))


@pytest.mark.parametrize("keyword", [b"stream  \n", b"stream % note\r\n", b"stream\t\r", b"stream<<\n"])
def test_data_starts_on_the_line_after_the_keyword_as_pdfium_reads_it(keyword: bytes) -> None:
    pdf = _one_stream_pdf(zlib.compress(bytes(2 << 20), 9), b"<< /Filter /FlateDecode >>", keyword)
    with pytest.raises(InflateLimitError):
        check_streams(pdf, 1 << 20, float("inf"))


def test_a_longer_word_is_not_the_stream_keyword() -> None:
    pdf = _one_stream_pdf(zlib.compress(b"abc"), b"<< /Filter /FlateDecode >>", b"streams\n")
    assert check_streams(pdf, 1 << 20, float("inf")) == 0


def test_looks_truncated_reads_only_the_tail() -> None:
    assert not looks_truncated(b"%PDF-1.7\n%%EOF\n")
    assert looks_truncated(b"%PDF-1.7\n%%EOF\n" + bytes(2048))
    assert looks_truncated(b"")
