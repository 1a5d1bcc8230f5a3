"""Lazy, chunked decoders for the PDF stream filters that can expand data, used only to measure sizes.

Each decoder takes an iterator of input chunks and yields output chunks as it goes, so whoever consumes them
can stop the moment a size limit is passed: nothing here ever holds a whole decoded stream. A decoder stops
quietly at its end-of-data marker or at the first malformed byte (PDFium would stop there too, or fail).
The text encodings (ASCIIHex, ASCII85) shrink their input, so they decode their bounded input at once.
"""

from __future__ import annotations

import base64
import binascii
import string
import zlib
from collections.abc import Iterable, Iterator

__all__ = ["DECODERS", "ascii85", "ascii_hex", "inflate", "inflate_head", "lzw", "run_length"]

_OUT_CHUNK = 1024 * 1024
_LZW_OUT_CHUNK = 64 * 1024
_WHITESPACE = string.whitespace.encode() + b"\x00"

Chunks = Iterable[bytes | memoryview]


def inflate(chunks: Chunks) -> Iterator[bytes]:
    """Inflate a zlib stream, at most 1 MiB of output per step; stop at its end or first error."""
    inflater = zlib.decompressobj()
    try:
        for chunk in chunks:
            pending: bytes | memoryview = chunk
            while pending:
                out = inflater.decompress(pending, _OUT_CHUNK)
                if out:
                    yield out
                if inflater.eof:
                    return
                pending = inflater.unconsumed_tail
    except zlib.error:
        return


def inflate_head(chunks: Chunks, size: int) -> bytes:
    """The first `size` bytes `inflate` would yield (fewer if the stream ends or breaks sooner).

    Inflates no further than that, so it costs next to nothing whatever the stream would expand to.
    """
    inflater = zlib.decompressobj()
    head = b""
    try:
        for chunk in chunks:
            pending: bytes | memoryview = chunk
            while pending:
                head += inflater.decompress(pending, size - len(head))
                if len(head) >= size or inflater.eof:
                    return head
                pending = inflater.unconsumed_tail
    except zlib.error:
        pass
    return head


def _until(chunks: Chunks, marker: bytes) -> bytes:
    """Join input up to (not including) an end-of-data marker; the input is bounded by the file size."""
    buffer = bytearray()
    for chunk in chunks:
        searched = max(0, len(buffer) - len(marker) + 1)  # only new bytes can complete the marker
        buffer += chunk
        end = buffer.find(marker, searched)
        if end >= 0:
            return bytes(buffer[:end])
    return bytes(buffer)


def ascii_hex(chunks: Chunks) -> Iterator[bytes]:
    """Decode ASCIIHexDecode data up to its ``>`` marker."""
    digits = _until(chunks, b">").translate(None, _WHITESPACE)
    if len(digits) % 2:
        digits += b"0"
    try:
        yield binascii.unhexlify(digits)
    except binascii.Error:
        return


def ascii85(chunks: Chunks) -> Iterator[bytes]:
    """Decode ASCII85Decode data up to its ``~>`` marker."""
    text = _until(chunks, b"~>").translate(None, _WHITESPACE).removeprefix(b"<~")
    try:
        yield base64.a85decode(text)
    except ValueError:
        return


def run_length(chunks: Chunks) -> Iterator[bytes]:
    """Decode RunLengthDecode data (up to 128x expansion) run by run."""
    pending = b""
    for chunk in chunks:
        data = pending + bytes(chunk)
        out = bytearray()
        i = 0
        while i < len(data):
            n = data[i]
            if n == 128:
                yield bytes(out)
                return
            if n < 128:
                if i + n + 2 > len(data):
                    break
                out += data[i + 1 : i + n + 2]
                i += n + 2
            else:
                if i + 2 > len(data):
                    break
                out += data[i + 1 : i + 2] * (257 - n)
                i += 2
            if len(out) >= _OUT_CHUNK:
                yield bytes(out)
                out.clear()
        pending = data[i:]
        if out:
            yield bytes(out)


def lzw(chunks: Chunks) -> Iterator[bytes]:
    """Decode LZWDecode data (PDF variant, EarlyChange 1) code by code.

    Pure Python and slow, but LZW is rare in modern PDFs and the caller checks its time budget between
    chunks; the string table is bounded by the 12-bit code space.
    """
    table = [bytes([i]) for i in range(256)] + [b"", b""]
    width, bits, nbits = 9, 0, 0
    previous: bytes | None = None
    out = bytearray()
    for chunk in chunks:
        for byte in bytes(chunk):
            bits = (bits << 8) | byte
            nbits += 8
            while nbits >= width:
                nbits -= width
                code = (bits >> nbits) & ((1 << width) - 1)
                bits &= (1 << nbits) - 1
                if code == 256:  # clear table
                    del table[258:]
                    width, previous = 9, None
                    continue
                if code == 257:  # end of data
                    yield bytes(out)
                    return
                if code < len(table) and code not in (256, 257):
                    entry = table[code]
                elif code == len(table) and previous is not None:
                    entry = previous + previous[:1]
                else:
                    yield bytes(out)
                    return
                if previous is not None and len(table) < 4096:
                    table.append(previous + entry[:1])
                previous = entry
                out += entry
                if len(table) + 1 >= (1 << width) and width < 12:
                    width += 1
            if len(out) >= _LZW_OUT_CHUNK:
                yield bytes(out)
                out.clear()
    yield bytes(out)


DECODERS = {
    b"FlateDecode": inflate,
    b"LZWDecode": lzw,
    b"RunLengthDecode": run_length,
    b"ASCIIHexDecode": ascii_hex,
    b"ASCII85Decode": ascii85,
}
